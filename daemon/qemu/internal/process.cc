#include "daemon/qemu/internal/process.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vpvm::qemu::internal {
namespace {

// Without pidfds the end of a process is noticed by polling at this interval.
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<pid_t> ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no pid file at ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(buffer.str()), &pid) || pid <= 1) {
    return absl::DataLossError(absl::StrCat("pid file ", path, " holds no pid"));
  }
  return static_cast<pid_t>(pid);
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  // "/proc/PID/stat" is "PID (COMM) S ...": COMM may hold spaces and parentheses, so the state
  // is the first field after the last ')'.
  std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return false;
  char state = stat[close_paren + 2];
  return state != 'Z' && state != 'X';
}

std::vector<std::string> ProcessCommandLine(pid_t pid) {
  std::string raw = ReadWholeFile(absl::StrCat("/proc/", pid, "/cmdline"));
  std::vector<std::string> args = absl::StrSplit(raw, '\0');
  if (!args.empty() && args.back().empty()) args.pop_back();
  return args;
}

absl::StatusOr<std::unique_ptr<Process>> Process::Open(pid_t pid) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0 && errno == ESRCH) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    if (pidfd >= 0) close(pidfd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  auto process = std::unique_ptr<Process>(new Process(pid, pidfd, wake_fd));
  if (!process->Alive()) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " has ended"));
  }
  return process;
}

Process::~Process() {
  StopWatching();
  if (pidfd_ >= 0) close(pidfd_);
  close(wake_fd_);
}

bool Process::Alive() const {
  if (pidfd_ < 0) return ProcessAlive(pid_);
  pollfd fd{pidfd_, POLLIN, 0};
  while (true) {
    int ready = poll(&fd, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    // A pidfd turns readable when its process ends, zombie or not.
    return ready == 0;
  }
}

bool Process::WaitForExit(absl::Duration timeout) const {
  return WaitUntil(absl::Now() + timeout, /*watch_wake_fd=*/false);
}

bool Process::WaitUntil(absl::Time deadline, bool watch_wake_fd) const {
  while (true) {
    if (!Alive()) return true;
    if (watch_wake_fd && stop_watching_) return false;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    if (pidfd_ < 0) left = std::min(left, kPollInterval);
    pollfd fds[2] = {{pidfd_, POLLIN, 0}, {watch_wake_fd ? wake_fd_ : -1, POLLIN, 0}};
    left = std::min(left, absl::Minutes(1));
    int ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    poll(fds, 2, ms);
  }
}

absl::Status Process::Signal(int signal) const {
  int result = pidfd_ >= 0
                   ? static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd_, signal, nullptr, 0))
                   : kill(pid_, signal);
  if (result == 0 || errno == ESRCH) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("cannot send signal ", signal, " to process ", pid_, ": ", strerror(errno)));
}

absl::Status Process::WatchExit(std::function<void()> on_exit) {
  StopWatching();
  stop_watching_ = false;
  try {
    watcher_ = std::thread([this, on_exit = std::move(on_exit)] {
      if (WaitUntil(absl::InfiniteFuture(), /*watch_wake_fd=*/true)) on_exit();
    });
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot start exit watcher: ", e.what()));
  }
  return absl::OkStatus();
}

void Process::StopWatching() {
  if (!watcher_.joinable()) return;
  stop_watching_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  // The last owner may let go from inside on_exit; the thread then ends by itself.
  if (watcher_.get_id() == std::this_thread::get_id()) {
    watcher_.detach();
    return;
  }
  watcher_.join();
  uint64_t drained;
  [[maybe_unused]] ssize_t m = read(wake_fd_, &drained, sizeof(drained));
}

}  // namespace vpvm::qemu::internal
