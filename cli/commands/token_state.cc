// vpvm token disable|enable|disable-2fa ID.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::TokenService::Stub;

template <typename Request>
void AddStateVerb(CLI::App& token, Cli& cli, const std::string& name,
                  const std::string& description, const std::string& done,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, v1::Token*)) {
  auto id = std::make_shared<std::string>();
  CLI::App* verb =
      AddVerb(token, name, description, absl::StrCat("vpvm token ", name, " tok_abc123def456"));
  verb->add_option("ID", *id, "the Token ID")->required();
  verb->callback([&cli, id, method, done] {
    cli.SetAction([&cli, id, method, done]() -> absl::Status {
      Request request;
      request.set_token_id(*id);
      VPVM_ASSIGN_OR_RETURN(v1::Token token, cli.Call(method, request));
      cli.Show(token, absl::StrCat(done, " ", token.token_id(), " (", token.label(), ").\n"));
      return absl::OkStatus();
    });
  });
}

}  // namespace

void AddTokenStateCommands(CLI::App& token, Cli& cli) {
  AddStateVerb<v1::DisableTokenRequest>(token, cli, "disable",
                                        "refuse a token until it is enabled again", "Disabled",
                                        &Stub::DisableToken);
  AddStateVerb<v1::EnableTokenRequest>(token, cli, "enable", "accept a disabled token again",
                                       "Enabled", &Stub::EnableToken);
  AddStateVerb<v1::DisableTokenTwoFactorRequest>(
      token, cli, "disable-2fa",
      "turn off a token's two-factor sign-in and end its dashboard sessions",
      "Turned off two-factor sign-in of", &Stub::DisableTokenTwoFactor);
}

}  // namespace vpvm::cli
