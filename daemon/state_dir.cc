#include "daemon/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace vpvm::daemon {
namespace {

constexpr char kLockFile[] = "vpvmd.lock";

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::string ReadSmallFile(const std::string& path) {
  std::string content(64, '\0');
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  ssize_t n = ::read(fd, content.data(), content.size());
  ::close(fd);
  content.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return content;
}

}  // namespace

absl::Status MakePrivateDirs(const std::string& path) {
  std::error_code error;
  std::filesystem::path current;
  for (const auto& part : std::filesystem::path(path)) {
    current /= part;
    if (std::filesystem::is_directory(current, error)) continue;
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create folder ", current.string(), ": ", std::strerror(errno)));
    }
  }
  if (!std::filesystem::is_directory(path, error)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists but is not a folder"));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) {
  const std::string temp = absl::StrCat(path, ".new");
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno(absl::StrCat("cannot create ", temp));
  absl::string_view rest = content;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status status = Errno(absl::StrCat("cannot write ", temp));
      ::close(fd);
      ::unlink(temp.c_str());
      return status;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status status = Errno(absl::StrCat("cannot write ", path));
    ::unlink(temp.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StateDir>> StateDir::OpenAndLock(const std::string& path) {
  VPVM_RETURN_IF_ERROR(MakePrivateDirs(path));
  const std::string lock_path = absl::StrCat(path, "/", kLockFile);
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno(absl::StrCat("cannot open the lock file ", lock_path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      std::string holder(absl::StripAsciiWhitespace(ReadSmallFile(lock_path)));
      return absl::FailedPreconditionError(
          absl::StrCat("another vpvmd", holder.empty() ? "" : absl::StrCat(" (pid ", holder, ")"),
                       " is using the state folder ", path));
    }
    return absl::InternalError(absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
  }
  // The holder's pid, for the message a second daemon prints.
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    ::close(fd);
    return Errno(absl::StrCat("cannot write ", lock_path));
  }
  return std::unique_ptr<StateDir>(new StateDir(path, fd));
}

StateDir::~StateDir() { ::close(lock_fd_); }

std::string StateDir::File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

}  // namespace vpvm::daemon
