// vpvm version: the client's and the daemon's versions, and whether they fit together.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands/commands.h"
#include "nlohmann/json.hpp"
#include "vpvm/v1/system_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

constexpr char kClientVersion[] = VPVM_VERSION;
constexpr char kApiVersion[] = "v1";

// Releases fit when they share major and minor version (both, since 0.x releases may change
// anything); the API version must be the same.
bool Fits(const std::string& daemon_version, const std::string& api_version) {
  std::vector<std::string> ours = absl::StrSplit(kClientVersion, '.');
  std::vector<std::string> theirs = absl::StrSplit(daemon_version, '.');
  return api_version == kApiVersion && ours.size() >= 2 && theirs.size() >= 2 &&
         ours[0] == theirs[0] && ours[1] == theirs[1];
}

absl::Status RunVersion(Cli& cli) {
  VPVM_ASSIGN_OR_RETURN(v1::GetVersionResponse daemon,
                        cli.Call(&v1::SystemService::Stub::GetVersion, v1::GetVersionRequest()));
  const bool fits = Fits(daemon.daemon_version(), daemon.api_version());
  if (cli.json()) {
    nlohmann::json out = {{"client_version", kClientVersion},
                          {"client_api_version", kApiVersion},
                          {"daemon_version", daemon.daemon_version()},
                          {"daemon_api_version", daemon.api_version()},
                          {"compatible", fits}};
    cli.Print(out.dump(2) + "\n");
  } else {
    cli.Print(absl::StrCat("vpvm   ", kClientVersion, " (API ", kApiVersion, ")\nvpvmd  ",
                           daemon.daemon_version(), " (API ", daemon.api_version(), ")\n"));
  }
  if (!fits) {
    cli.Note(absl::StrCat("vpvm: warning: this client (", kClientVersion,
                          ") may not work with vpvmd ", daemon.daemon_version(), " (API ",
                          daemon.api_version(), "); use a vpvm of the daemon's release"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddVersionCommand(CLI::App& app, Cli& cli) {
  CLI::App* version = AddVerb(app, "version", "show the client's and the daemon's versions",
                              "vpvm version --server 192.168.1.10 --token-file ci.token");
  version->callback([&cli] { cli.SetAction([&cli] { return RunVersion(cli); }); });
}

}  // namespace vpvm::cli
