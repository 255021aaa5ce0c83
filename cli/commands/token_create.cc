// vpvm token create: a scoped token, its secret shown once.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/commands/token_args.h"
#include "cli/parse.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct CreateArgs {
  std::string label;
  std::optional<std::string> vms;
  std::string scope = "operator";
  std::string expires = "never";
  std::string extended;
  bool quiet = false;
};

absl::Status RunCreate(Cli& cli, const CreateArgs& args) {
  v1::CreateTokenRequest request;
  request.set_label(args.label);
  VPVM_ASSIGN_OR_RETURN(v1::AccessLevel level, ParseScope(args.scope));
  request.set_access_level(level);
  if (args.vms) {
    VPVM_ASSIGN_OR_RETURN(*request.mutable_vm_scope(), VmScopeFromOption(*args.vms));
  } else {
    request.mutable_vm_scope()->set_all_vms(true);
  }
  VPVM_ASSIGN_OR_RETURN(std::vector<v1::ExtendedPermission> extended, ParseExtended(args.extended));
  VPVM_RETURN_IF_ERROR(CheckExtendedFits(extended, level, !args.vms));
  for (v1::ExtendedPermission permission : extended) request.add_extended_permissions(permission);
  VPVM_ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> expiry,
                        ExpiryFromOption(args.expires, cli.Now(), cli.zone()));
  if (expiry) *request.mutable_expire_time() = *expiry;

  VPVM_ASSIGN_OR_RETURN(v1::CreateTokenResponse created,
                        cli.Call(&v1::TokenService::Stub::CreateToken, request));
  if (args.quiet) {
    cli.Print(created.secret() + "\n");
    return absl::OkStatus();
  }
  cli.Show(created,
           absl::StrCat("Created token ", created.token().token_id(), ".\n",
                        TokenDetails(created.token(), cli), SecretReveal(created.secret())));
  return absl::OkStatus();
}

}  // namespace

void AddTokenCreateCommand(CLI::App& token, Cli& cli) {
  auto args = std::make_shared<CreateArgs>();
  CLI::App* create = AddVerb(
      token, "create", "create a scoped token; its secret is shown once",
      "vpvm token create --label \"CI Pipeline\" --vms \"ubuntu-dev,ubuntu-test\" --scope "
      "operator --expires 2026-12-31\n  vpvm token create --label \"Admin Tool\" --scope admin");
  create->add_option("--label", args->label, "what the token is for (at most 100 characters)")
      ->required();
  create->add_option("--vms", args->vms,
                     "the VMs it reaches, by name or id, comma-separated (default: All VMs)");
  create->add_option("--scope", args->scope,
                     "operator (read and power operations; the default) or admin (also edits; "
                     "with All VMs also create and delete)");
  create->add_option("--expires", args->expires,
                     "a date (valid through its end, local time), an RFC 3339 time, a duration "
                     "(90m, 12h, 30d, 4w) or never (the default)");
  create->add_option("--extended", args->extended,
                     "templates,networks,images (Admin tokens on All VMs only)");
  create->add_flag("-q,--quiet", args->quiet, "print only the secret");
  create->callback([&cli, args] { cli.SetAction([&cli, args] { return RunCreate(cli, *args); }); });
}

}  // namespace vpvm::cli
