// vpvm token show ID: one token in full.

#include "cli/commands/commands.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {

void AddTokenShowCommand(CLI::App& token, Cli& cli) {
  auto id = std::make_shared<std::string>();
  CLI::App* show = AddVerb(token, "show", "show one token", "vpvm token show tok_abc123def456");
  show->add_option("ID", *id, "the Token ID")->required();
  show->callback([&cli, id] {
    cli.SetAction([&cli, id]() -> absl::Status {
      v1::GetTokenRequest request;
      request.set_token_id(*id);
      VPVM_ASSIGN_OR_RETURN(v1::Token found, cli.Call(&v1::TokenService::Stub::GetToken, request));
      cli.Show(found, TokenDetails(found, cli));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
