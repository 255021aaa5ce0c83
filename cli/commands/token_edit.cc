// vpvm token edit ID: label, VMs, scope, expiry and extended permissions.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/commands/token_args.h"
#include "cli/parse.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct EditArgs {
  std::string id;
  std::optional<std::string> label;
  std::optional<std::string> vms;
  bool all_vms = false;
  std::optional<std::string> scope;
  std::optional<std::string> expires;
  std::optional<std::string> extended;
};

absl::Status RunEdit(Cli& cli, const EditArgs& args) {
  v1::UpdateTokenRequest request;
  request.set_token_id(args.id);
  auto* mask = request.mutable_update_mask();
  if (args.label) {
    request.set_label(*args.label);
    mask->add_paths("label");
  }
  if (args.vms && args.all_vms) {
    return absl::InvalidArgumentError("--vms and --all-vms exclude each other");
  }
  if (args.vms) {
    VPVM_ASSIGN_OR_RETURN(*request.mutable_vm_scope(), VmScopeFromOption(*args.vms));
    mask->add_paths("vm_scope");
  }
  if (args.all_vms) {
    request.mutable_vm_scope()->set_all_vms(true);
    mask->add_paths("vm_scope");
  }
  if (args.scope) {
    VPVM_ASSIGN_OR_RETURN(v1::AccessLevel level, ParseScope(*args.scope));
    request.set_access_level(level);
    mask->add_paths("access_level");
  }
  if (args.expires) {
    VPVM_ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> expiry,
                          ExpiryFromOption(*args.expires, cli.Now(), cli.zone()));
    if (expiry) *request.mutable_expire_time() = *expiry;
    mask->add_paths("expire_time");
  }
  if (args.extended) {
    VPVM_ASSIGN_OR_RETURN(std::vector<v1::ExtendedPermission> extended,
                          ParseExtended(*args.extended));
    // Checked here only against what this edit sets; the daemon checks the whole token.
    if (!extended.empty() &&
        (args.vms || (args.scope && request.access_level() != v1::ACCESS_LEVEL_ADMIN))) {
      VPVM_RETURN_IF_ERROR(CheckExtendedFits(extended, request.access_level(), !args.vms));
    }
    for (v1::ExtendedPermission permission : extended) {
      request.add_extended_permissions(permission);
    }
    mask->add_paths("extended_permissions");
  }
  if (mask->paths().empty()) {
    return absl::InvalidArgumentError(
        "nothing to change: give --label, --vms or --all-vms, --scope, --expires or --extended");
  }

  VPVM_ASSIGN_OR_RETURN(v1::Token token, cli.Call(&v1::TokenService::Stub::UpdateToken, request));
  cli.Show(token,
           absl::StrCat("Updated token ", token.token_id(), ".\n", TokenDetails(token, cli)));
  return absl::OkStatus();
}

}  // namespace

void AddTokenEditCommand(CLI::App& token, Cli& cli) {
  auto args = std::make_shared<EditArgs>();
  CLI::App* edit = AddVerb(token, "edit", "change a token; the change applies to its next request",
                           "vpvm token edit tok_abc123def456 --scope admin --all-vms "
                           "--extended templates,networks");
  edit->add_option("ID", args->id, "the Token ID")->required();
  edit->add_option("--label", args->label, "a new label");
  edit->add_option("--vms", args->vms, "a new VM list, by name or id, comma-separated");
  edit->add_flag("--all-vms", args->all_vms, "scope it to All VMs");
  edit->add_option("--scope", args->scope, "operator or admin");
  edit->add_option("--expires", args->expires,
                   "a date, an RFC 3339 time, a duration (30d) or never");
  edit->add_option("--extended", args->extended,
                   "templates,networks,images, or none (Admin tokens on All VMs only)");
  edit->callback([&cli, args] { cli.SetAction([&cli, args] { return RunEdit(cli, *args); }); });
}

}  // namespace vpvm::cli
