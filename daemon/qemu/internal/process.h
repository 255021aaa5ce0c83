#pragma once

// Handles on daemonized QEMU processes, which are not our children: pid files, liveness that
// counts a zombie as ended, waiting for the end through a pidfd (or a bounded poll on kernels
// without one), and signals that cannot hit a recycled pid.

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::qemu::internal {

// The pid in a pid file. NotFound when the file is missing, DataLoss when it holds no pid.
absl::StatusOr<pid_t> ReadPidFile(const std::string& path);

// True while `pid` exists and has not ended (a zombie has ended).
bool ProcessAlive(pid_t pid);

// The command line of a live process, one element per argument; empty when unreadable.
std::vector<std::string> ProcessCommandLine(pid_t pid);

// One live process, pinned by a pidfd when the kernel has them.
class Process {
 public:
  // NotFound when `pid` is not a live process.
  static absl::StatusOr<std::unique_ptr<Process>> Open(pid_t pid);
  ~Process();

  pid_t pid() const { return pid_; }
  bool Alive() const;
  // True once the process has ended, false when `timeout` passed first.
  bool WaitForExit(absl::Duration timeout) const;
  absl::Status Signal(int signal) const;

  // Calls `on_exit` once, on a thread of its own, when the process ends. Stopped (without the
  // call) by StopWatching or the destructor.
  absl::Status WatchExit(std::function<void()> on_exit);
  void StopWatching();

 private:
  Process(pid_t pid, int pidfd, int wake_fd) : pid_(pid), pidfd_(pidfd), wake_fd_(wake_fd) {}
  // Waits for the end of the process or a wake-up; true when the process ended.
  bool WaitUntil(absl::Time deadline, bool watch_wake_fd) const;

  const pid_t pid_;
  const int pidfd_;    // -1 without kernel support
  const int wake_fd_;  // eventfd that interrupts the watcher
  std::atomic<bool> stop_watching_ = false;
  std::thread watcher_;
};

}  // namespace vpvm::qemu::internal
