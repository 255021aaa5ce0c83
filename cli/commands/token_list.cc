// vpvm token list: tokens by status and search text.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "cli/token_view.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct ListArgs {
  std::string status = "all";
  std::string search;
};

absl::Status RunList(Cli& cli, const ListArgs& args) {
  v1::ListTokensRequest request;
  VPVM_ASSIGN_OR_RETURN(v1::TokenStatus status, ParseTokenStatus(args.status));
  request.set_status(status);
  request.set_search(args.search);
  request.set_page_size(1000);

  VPVM_ASSIGN_OR_RETURN(v1::ListTokensResponse all,
                        cli.CallAllPages(&v1::TokenService::Stub::ListTokens, request));

  Table table(TokenListHeader());
  for (const v1::Token& token : all.tokens()) table.Add(TokenListRow(token, cli));
  cli.Show(all, all.tokens().empty() ? "No tokens match.\n" : table.Render());
  return absl::OkStatus();
}

}  // namespace

void AddTokenListCommand(CLI::App& token, Cli& cli) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* list =
      AddVerb(token, "list", "list tokens", "vpvm token list --status active --search ci");
  list->alias("ls");
  list->add_option("--status", args->status, "all (the default), active, disabled or expired");
  list->add_option("--search", args->search,
                   "only tokens whose label, Token ID or VM names contain this text");
  list->callback([&cli, args] { cli.SetAction([&cli, args] { return RunList(cli, *args); }); });
}

}  // namespace vpvm::cli
