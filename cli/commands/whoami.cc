// vpvm whoami: the token in use, what it reaches and what it may do.

#include "cli/commands/commands.h"
#include "cli/token_view.h"
#include "vpvm/v1/system_service.grpc.pb.h"

namespace vpvm::cli {

void AddWhoamiCommand(CLI::App& app, Cli& cli) {
  CLI::App* whoami =
      AddVerb(app, "whoami", "show the token in use: its scope, VMs, expiry and what it may do",
              "vpvm whoami --token-file ~/.config/vpvm/ci.token");
  whoami->callback([&cli] {
    cli.SetAction([&cli]() -> absl::Status {
      VPVM_ASSIGN_OR_RETURN(
          v1::InspectSelfResponse self,
          cli.Call(&v1::SystemService::Stub::InspectSelf, v1::InspectSelfRequest()));
      cli.Show(self, SelfDetails(self, cli));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
