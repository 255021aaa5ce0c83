#pragma once

// Small file-system steps of the machine's lifecycle.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace vpvm::qemu::internal {

// True once `path` exists (created or renamed into place), false at `deadline`. Woken by
// inotify on the parent folder, so nothing polls.
bool WaitForFile(const std::string& path, absl::Time deadline);

// Flushes a file's data, or a folder's entries, to stable storage.
absl::Status SyncPath(const std::string& path);

// Deletes `path`; a missing file is not an error.
absl::Status RemoveFile(const std::string& path);

bool FileExists(const std::string& path);

}  // namespace vpvm::qemu::internal
