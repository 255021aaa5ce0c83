#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands/commands.h"
#include "cli/output.h"

namespace vpvm::cli {
namespace {

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

bool ColourWanted() {
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  if (term != nullptr && std::string(term) == "dumb") return false;
  return IsTerminal(STDOUT_FILENO);
}

// Asks on the terminal: true for "y" or "yes".
bool AskYesNo(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  return answer == "y" || answer == "yes";
}

bool CanAsk() { return IsTerminal(STDIN_FILENO) && IsTerminal(STDERR_FILENO); }

bool TrustOnTerminal(const std::string& target, const std::string& fingerprint) {
  std::cerr << "The certificate of " << target << " is not known yet.\n"
            << "  SHA-256 fingerprint: " << fingerprint << "\n"
            << "Compare it with what `vpvmd fingerprint` prints on the server.\n";
  return AskYesNo("Trust this server from now on?");
}

// CLI11 reports an unknown command as a missing one; name the word it did not know instead.
std::string UsageError(CLI::App& app, int argc, char** argv, const std::string& what) {
  CLI::App* current = &app;
  std::string path = "vpvm";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.rfind('-', 0) == 0) {
      // An option that takes a value and is not written --name=value eats the next word.
      const std::string name = word.substr(0, word.find('='));
      const CLI::Option* option = nullptr;
      for (CLI::App* scope = current; scope != nullptr && option == nullptr;
           scope = scope->get_parent()) {
        option = scope->get_option_no_throw(name);
      }
      if (option != nullptr && option->get_type_size() != 0 &&
          word.find('=') == std::string::npos) {
        ++i;
      }
      continue;
    }
    std::vector<CLI::App*> subs =
        current->get_subcommands([&word](CLI::App* known) { return known->check_name(word); });
    if (!subs.empty()) {
      current = subs.front();
      path += " " + word;
      continue;
    }
    if (current->get_require_subcommand_min() > 0) {
      std::vector<std::string> names;
      for (CLI::App* known : current->get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(known->get_name());
      }
      return absl::StrCat("unknown command \"", word, "\" for ", path, "; the commands are ",
                          absl::StrJoin(names, ", "), " (see `", path, " --help`)");
    }
    break;
  }
  return absl::StrCat(what, " (see `", path, " --help`)");
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  if (status.GetPayload(client::kCertificateProblem)) return kExitUntrusted;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kUnauthenticated:
      return kExitUnauthenticated;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kPermissionDenied:
      return kExitPermissionDenied;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    case absl::StatusCode::kResourceExhausted:
      return kExitThrottled;
    default:
      return kExitFailure;
  }
}

std::string ErrorMessage(const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  // The daemon's message may already say when ("retry in 6 s"); say it once.
  if (auto retry = status.GetPayload(client::kRetryAfter);
      retry.has_value() && !absl::StrContains(message, "retry in")) {
    absl::StrAppend(&message, "; try again in ", std::string(*retry), " s");
  }
  return message;
}

void Cli::Init() {
  colour_ = ColourWanted();
  zone_ = absl::LocalTimeZone();
}

void Cli::AddGlobalOptions(CLI::App& app) {
  const std::string connection = "Connection";
  auto text = [&](const char* name, std::optional<std::string>& into, const char* help) {
    app.add_option_function<std::string>(
           name, [&into](const std::string& value) { into = value; }, help)
        ->group(connection);
  };
  text("--socket", flags_.socket, "the local daemon's socket (VPVM_SOCKET)");
  text("--state-dir", flags_.state_dir,
       "the local daemon's state folder, for its master.token (VPVM_STATE_DIR)");
  text("--server", flags_.server, "a remote daemon, HOST or HOST:PORT (VPVM_SERVER)");
  app.add_option_function<int>(
         "--port", [this](int port) { flags_.port = port; },
         "the remote daemon's port, default 49152 (VPVM_PORT)")
      ->check(CLI::Range(1, 65535))
      ->group(connection);
  text("--token", flags_.token, "the token's secret (VPVM_TOKEN)");
  text("--token-file", flags_.token_file,
       "read the token from this file, keeping it out of the process list (VPVM_TOKEN_FILE)");
  text("--fingerprint", flags_.fingerprint,
       "trust the server's certificate with this SHA-256 fingerprint (VPVM_FINGERPRINT)");
  app.add_flag_callback(
         "--insecure", [this] { flags_.insecure = true; },
         "plain TCP, to a daemon run with --tls off (VPVM_INSECURE)")
      ->group(connection);
  app.add_option("--config", config_file_,
                 "config file (VPVM_CONFIG; default " + client::DefaultConfigFile() + ")")
      ->group(connection);
  app.add_option("-o,--output", output_, "table (the default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->group("Output");
}

absl::StatusOr<client::ConnectionSettings> Cli::Settings() const {
  VPVM_ASSIGN_OR_RETURN(client::SettingsLayer environment, client::SettingsFromEnvironment());
  std::string config = config_file_;
  bool required = !config.empty();
  if (config.empty()) {
    const char* from_env = std::getenv("VPVM_CONFIG");
    required = from_env != nullptr && *from_env != '\0';
    config = required ? from_env : client::DefaultConfigFile();
  }
  VPVM_ASSIGN_OR_RETURN(client::SettingsLayer file, client::SettingsFromFile(config, required));
  return client::ResolveSettings({flags_, environment, file});
}

absl::StatusOr<client::Connection*> Cli::Connect() {
  if (connection_) return connection_.get();
  VPVM_ASSIGN_OR_RETURN(client::ConnectionSettings settings, Settings());
  std::optional<client::TrustPrompt> ask;
  if (CanAsk()) ask = TrustOnTerminal;
  VPVM_ASSIGN_OR_RETURN(connection_, client::Connection::Open(settings, ask));
  return connection_.get();
}

void Cli::Show(const google::protobuf::Message& message, const std::string& human) const {
  Print(json() ? ToJson(message) : human);
}

void Cli::Print(const std::string& text) const {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void Cli::Note(const std::string& text) const { std::cerr << text << "\n"; }

absl::Status Cli::Confirm(const std::string& question, bool yes) const {
  if (yes) return absl::OkStatus();
  if (!CanAsk()) {
    return absl::InvalidArgumentError(
        absl::StrCat(question, " Nobody can confirm without a terminal: pass --yes"));
  }
  if (!AskYesNo(question)) return absl::CancelledError("nothing was changed");
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  Cli cli;
  cli.Init();
  CLI::App app{"vpvm: control VMs and API tokens of a vpvmd host", "vpvm"};
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  vpvm list\n"
      "  vpvm list --server 192.168.1.10 --port 49152 --token vpvm_...\n"
      "  vpvm token create --label \"CI Pipeline\" --vms ubuntu-dev --scope operator\n"
      "Run `vpvm COMMAND --help` for a command's options. Exit codes: 0 ok, 1 failure, 2 usage\n"
      "or refused input, 3 not authenticated, 4 not found, 5 permission denied, 6 daemon\n"
      "unreachable, 7 server certificate not trusted, 8 too many failed attempts.");
  cli.AddGlobalOptions(app);
  AddCommands(app, cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "vpvm: " << UsageError(app, argc, argv, e.what()) << "\n";
    return kExitUsage;
  }
  if (!cli.HasAction()) {
    std::cerr << "vpvm: name a command (see `vpvm --help`)\n";
    return kExitUsage;
  }

  const absl::Status status = cli.RunAction();
  if (status.ok()) return kExitOk;
  std::cerr << "vpvm: " << ErrorMessage(status) << "\n";
  return ExitCodeFor(status);
}

}  // namespace vpvm::cli
