// vpvm token revoke ID: deletes a token for good.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {

void AddTokenRevokeCommand(CLI::App& token, Cli& cli) {
  struct Args {
    std::string id;
    bool yes = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* revoke = AddVerb(token, "revoke", "delete a token; it is refused from now on",
                             "vpvm token revoke tok_abc123def456 --yes");
  revoke->add_option("ID", args->id, "the Token ID")->required();
  revoke->add_flag("-y,--yes", args->yes, "do not ask for confirmation");
  revoke->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      VPVM_RETURN_IF_ERROR(
          cli.Confirm(absl::StrCat("Revoke ", args->id, "? It is deleted and refused from now on."),
                      args->yes));
      v1::RevokeTokenRequest request;
      request.set_token_id(args->id);
      VPVM_ASSIGN_OR_RETURN(v1::RevokeTokenResponse response,
                            cli.Call(&v1::TokenService::Stub::RevokeToken, request));
      cli.Show(response, absl::StrCat("Revoked ", args->id, ".\n"));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
