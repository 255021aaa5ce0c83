#pragma once

// The certificates a user has trusted, by server: a text file of `HOST:PORT FINGERPRINT` lines
// (~/.config/vpvm/known_servers), in the spirit of ssh's known_hosts. Written through a
// temporary file and a rename, mode 0600.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace vpvm::client {

class KnownServers {
 public:
  // The pins in `path`; a missing file has none. A malformed line is InvalidArgument naming it.
  static absl::StatusOr<KnownServers> Load(std::string path);

  // $XDG_CONFIG_HOME/vpvm/known_servers.
  static std::string DefaultPath();

  std::optional<std::string> Find(const std::string& target) const;

  // Records `fingerprint` for `target`, replacing any pin it had, and saves the file.
  absl::Status Pin(const std::string& target, const std::string& fingerprint);

 private:
  explicit KnownServers(std::string path) : path_(std::move(path)) {}

  std::string path_;
  std::map<std::string, std::string> pins_;
};

}  // namespace vpvm::client
