#pragma once

// The `vpvm` commands. Each Add…Command registers one command (or one group) on `app`, with its
// help and example, and sets its action on `cli` when the command line chooses it.

#include "CLI/CLI.hpp"
#include "cli/cli.h"

namespace vpvm::cli {

void AddCommands(CLI::App& app, Cli& cli);

void AddListCommand(CLI::App& app, Cli& cli);
void AddInfoCommand(CLI::App& app, Cli& cli);
void AddCreateCommand(CLI::App& app, Cli& cli);
void AddDeleteCommand(CLI::App& app, Cli& cli);
void AddPowerCommands(CLI::App& app, Cli& cli);  // start, stop, pause, resume, restart, suspend
void AddEditCommand(CLI::App& app, Cli& cli);
void AddDiskCommand(CLI::App& app, Cli& cli);
void AddNetworkCommand(CLI::App& app, Cli& cli);
void AddSnapshotCommand(CLI::App& app, Cli& cli);

// `vpvm token …`, one file per verb.
void AddTokenListCommand(CLI::App& token, Cli& cli);
void AddTokenCreateCommand(CLI::App& token, Cli& cli);
void AddTokenShowCommand(CLI::App& token, Cli& cli);
void AddTokenEditCommand(CLI::App& token, Cli& cli);
void AddTokenRotateCommand(CLI::App& token, Cli& cli);
void AddTokenStateCommands(CLI::App& token, Cli& cli);  // disable, enable, disable-2fa
void AddTokenRevokeCommand(CLI::App& token, Cli& cli);

void AddWhoamiCommand(CLI::App& app, Cli& cli);
void AddVersionCommand(CLI::App& app, Cli& cli);
void AddCompletionCommand(CLI::App& app, Cli& cli);

// A subcommand with its description and an example shown under --help.
CLI::App* AddVerb(CLI::App& parent, const std::string& name, const std::string& description,
                  const std::string& example);

}  // namespace vpvm::cli
