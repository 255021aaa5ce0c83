// vpvmd: parses its options and hands over to the daemon.

#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "daemon/config.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  // Debian's Abseil checks every absl::Mutex lock for deadlock cycles, gRPC's own locks included;
  // on the request path that costs more than the access gate itself.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  using vpvm::daemon::DaemonOptions;
  absl::StatusOr<DaemonOptions> options = vpvm::daemon::ParseOptions(argc, argv);
  if (!options.ok()) {
    const bool asked = absl::IsCancelled(options.status());  // --help, --version
    std::fprintf(asked ? stdout : stderr, "%s%s\n",
                 asked ? "" : "vpvmd: ", std::string(options.status().message()).c_str());
    return asked ? 0 : 2;
  }
  absl::Status status;
  switch (options->command) {
    case DaemonOptions::Command::kServe:
      status = vpvm::daemon::RunDaemon(*options);
      break;
    case DaemonOptions::Command::kFingerprint:
      status = vpvm::daemon::PrintFingerprint(*options);
      break;
    case DaemonOptions::Command::kRotateMaster:
      status = vpvm::daemon::RotateMaster(*options);
      break;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "vpvmd: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
