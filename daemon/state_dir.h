#pragma once

// The daemon's state folder (DESIGN.md §2): created 0700 when missing, and locked for the life
// of the process so that a second daemon on the same folder refuses to start. Taking the lock
// writes nothing that was there before.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace vpvm::daemon {

class StateDir {
 public:
  // Creates `path` (and its parents) when absent and takes its lock; FailedPrecondition names
  // the holder when another process has it.
  static absl::StatusOr<std::unique_ptr<StateDir>> OpenAndLock(const std::string& path);
  ~StateDir();

  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const;

  std::string DatabasePath() const { return File("vpvm.db"); }
  std::string MasterTokenPath() const { return File("master.token"); }
  std::string TlsDir() const { return File("tls"); }
  std::string VmsDir() const { return File("vms"); }
  // Written once the daemon listens: the addresses it actually bound.
  std::string AddressesPath() const { return File("vpvmd.addresses.json"); }

 private:
  StateDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_;
};

// Creates `path` and missing parents with mode 0700; an existing folder is left as it is.
absl::Status MakePrivateDirs(const std::string& path);

// Writes `content` to `path` through a temporary file and a rename, mode 0600.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content);

}  // namespace vpvm::daemon
