#include "cli/commands/commands.h"

namespace vpvm::cli {

CLI::App* AddVerb(CLI::App& parent, const std::string& name, const std::string& description,
                  const std::string& example) {
  CLI::App* verb = parent.add_subcommand(name, description);
  verb->footer("Example:\n  " + example);
  return verb;
}

void AddCommands(CLI::App& app, Cli& cli) {
  AddListCommand(app, cli);
  AddInfoCommand(app, cli);
  AddCreateCommand(app, cli);
  AddDeleteCommand(app, cli);
  AddPowerCommands(app, cli);
  AddEditCommand(app, cli);
  AddDiskCommand(app, cli);
  AddNetworkCommand(app, cli);
  AddSnapshotCommand(app, cli);

  CLI::App* token =
      AddVerb(app, "token", "manage API tokens (master token only)", "vpvm token list");
  token->require_subcommand(1);
  AddTokenListCommand(*token, cli);
  AddTokenCreateCommand(*token, cli);
  AddTokenShowCommand(*token, cli);
  AddTokenEditCommand(*token, cli);
  AddTokenRotateCommand(*token, cli);
  AddTokenStateCommands(*token, cli);
  AddTokenRevokeCommand(*token, cli);

  AddWhoamiCommand(app, cli);
  AddVersionCommand(app, cli);
  AddCompletionCommand(app, cli);
}

}  // namespace vpvm::cli
