// vpvm token rotate ID: a new secret, everything else kept; the old secret stops working at once.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::TokenService::Stub;

struct RotateArgs {
  std::string id;
  bool yes = false;
  bool quiet = false;
};

// The master token has its own RPC, which also rewrites master.token on the daemon's host.
absl::StatusOr<v1::RotateTokenResponse> Rotate(Cli& cli, const std::string& id) {
  if (id == "master") {
    VPVM_ASSIGN_OR_RETURN(v1::RotateMasterTokenResponse master,
                          cli.Call(&Stub::RotateMasterToken, v1::RotateMasterTokenRequest()));
    v1::RotateTokenResponse response;
    *response.mutable_token() = std::move(*master.mutable_token());
    response.set_secret(std::move(*master.mutable_secret()));
    return response;
  }
  v1::RotateTokenRequest request;
  request.set_token_id(id);
  return cli.Call(&Stub::RotateToken, request);
}

absl::Status RunRotate(Cli& cli, const RotateArgs& args) {
  VPVM_RETURN_IF_ERROR(
      cli.Confirm(absl::StrCat("Rotate the secret of ", args.id,
                               "? Whatever uses the current secret stops working at once."),
                  args.yes));
  VPVM_ASSIGN_OR_RETURN(v1::RotateTokenResponse rotated, Rotate(cli, args.id));
  if (args.quiet) {
    cli.Print(rotated.secret() + "\n");
    return absl::OkStatus();
  }
  cli.Show(rotated,
           absl::StrCat("Rotated the secret of ", rotated.token().token_id(),
                        "; the old one is refused from now on.\n", SecretReveal(rotated.secret())));
  return absl::OkStatus();
}

}  // namespace

void AddTokenRotateCommand(CLI::App& token, Cli& cli) {
  auto args = std::make_shared<RotateArgs>();
  CLI::App* rotate =
      AddVerb(token, "rotate", "give a token a new secret (\"master\" for the master token)",
              "vpvm token rotate tok_abc123def456 --yes --quiet");
  rotate->add_option("ID", args->id, "the Token ID, or master")->required();
  rotate->add_flag("-y,--yes", args->yes, "do not ask for confirmation");
  rotate->add_flag("-q,--quiet", args->quiet, "print only the new secret");
  rotate->callback([&cli, args] { cli.SetAction([&cli, args] { return RunRotate(cli, *args); }); });
}

}  // namespace vpvm::cli
