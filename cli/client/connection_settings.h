#pragma once

// Where a vpvm client finds its daemon and which token it presents. Settings come in layers
// (command-line flags, the environment, the config file), and a field set in a higher layer wins.
// Where the daemon is (a local socket or a remote server) is decided as one: by the first layer
// that names either, so that a `--socket` flag is not overridden by VPVM_SERVER.

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace vpvm::client {

// One layer: every field optional.
struct SettingsLayer {
  std::optional<std::string> socket;
  std::optional<std::string> state_dir;
  std::optional<std::string> server;  // HOST or HOST:PORT
  std::optional<int> port;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> fingerprint;
  std::optional<bool> insecure;
};

// The VPVM_* environment variables; InvalidArgument names a malformed one.
absl::StatusOr<SettingsLayer> SettingsFromEnvironment();

// A TOML config file with the long option names as keys (`server = "10.0.0.5"`). A missing file
// is an empty layer when `required` is false; unknown keys and bad values are InvalidArgument.
absl::StatusOr<SettingsLayer> SettingsFromFile(const std::string& path, bool required);

// $XDG_CONFIG_HOME/vpvm/vpvm.conf.
std::string DefaultConfigFile();

inline constexpr int kDefaultPort = 49152;

// The resolved settings: either `socket` (local) or `host` and `port` (remote) are meaningful.
struct ConnectionSettings {
  bool remote = false;
  std::string socket;
  std::string state_dir;
  std::string host;
  int port = kDefaultPort;
  std::optional<std::string> token;  // absent: a local client reads the master token
  std::string token_file;            // empty: none
  std::string fingerprint;           // empty: the pinned one, if any
  bool insecure = false;

  // "HOST:PORT", with an IPv6 host in brackets, for gRPC and for the pin file.
  std::string Target() const;
};

// Merges `layers`, highest precedence first, and fills in the defaults.
absl::StatusOr<ConnectionSettings> ResolveSettings(const std::vector<SettingsLayer>& layers);

}  // namespace vpvm::client
