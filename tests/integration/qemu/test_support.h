#pragma once

// Shared pieces of the QEMU backend's integration tests.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::qemu::testing {

// A fresh folder /tmp/vpvm-q-XXXXXX, short enough for Unix socket paths. Its destructor ends
// every QEMU whose pid file lies under it (so a failed test leaves no VM behind) and deletes it.
class ScratchFolder {
 public:
  ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder();

  const std::string& path() const { return path_; }
  std::string Join(absl::string_view name) const;

 private:
  std::string path_;
};

// Sends SIGKILL to each live QEMU whose pid file lies under `folder` and waits for it to end.
// Returns how many it ended.
int KillQemusUnder(const std::string& folder);

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace vpvm::qemu::testing
