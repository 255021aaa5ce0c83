#pragma once

// vpvmd's settings: defaults per DESIGN.md §2 (for root and for a normal user), a config file
// (TOML: the long option names as keys), and command-line flags that override both.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/throttle.h"

namespace vpvm::daemon {

struct DaemonOptions {
  enum class Command { kServe, kFingerprint, kRotateMaster };
  Command command = Command::kServe;

  std::string config_file;  // empty: none
  std::string state_dir;
  std::string socket_path;
  std::string listen;                        // remote gRPC, "HOST:PORT"; "off" for none
  std::string http_listen;                   // the HTTP/JSON gateway, "HOST:PORT"; "off" for none
  std::vector<std::string> trusted_proxies;  // whose X-Forwarded-For the gateway believes
  absl::Duration http_read_timeout = absl::Seconds(15);     // per HTTP request, and when idle
  absl::Duration session_idle_timeout = absl::Minutes(30);  // a dashboard session unused
  bool tls = true;
  std::string tls_certificate;  // the user's own; empty: the generated one
  std::string tls_key;
  std::string log_level = "info";
  absl::Duration stop_timeout = absl::Seconds(30);  // a VM's graceful stop, before forcing
  ThrottleOptions throttle;
};

// The options for `argv`; InvalidArgument carries a message for the user, and a request for
// --help or --version comes back as Cancelled with the text to print.
absl::StatusOr<DaemonOptions> ParseOptions(int argc, char** argv);

// "HOST:PORT" split, with IPv6 hosts in brackets; InvalidArgument names the problem.
absl::Status CheckListenAddress(const std::string& address, const std::string& flag);

}  // namespace vpvm::daemon
