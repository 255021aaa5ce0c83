#include "daemon/qemu/internal/files.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vpvm::qemu::internal {

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

bool WaitForFile(const std::string& path, absl::Time deadline) {
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? std::string(".")
                             : slash == 0               ? std::string("/")
                                                        : path.substr(0, slash);
  int inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify < 0) return FileExists(path);
  inotify_add_watch(inotify, folder.c_str(), IN_CREATE | IN_MOVED_TO);

  bool found = false;
  while (!(found = FileExists(path))) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    left = std::min(left, absl::Minutes(1));
    pollfd ready{inotify, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) > 0) {
      char events[4096];
      while (read(inotify, events, sizeof(events)) > 0) {
      }
    }
  }
  close(inotify);
  return found;
}

absl::Status SyncPath(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  int result = fsync(fd);
  int error = errno;
  close(fd);
  if (result != 0) {
    return absl::InternalError(absl::StrCat("cannot sync ", path, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cannot delete ", path, ": ", strerror(errno)));
}

}  // namespace vpvm::qemu::internal
