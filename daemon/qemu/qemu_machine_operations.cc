#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "daemon/qemu/internal/chrono.h"
#include "daemon/qemu/internal/command_line.h"
#include "daemon/qemu/internal/files.h"
#include "daemon/qemu/internal/logging.h"
#include "daemon/qemu/internal/process.h"
#include "daemon/qemu/internal/subprocess.h"
#include "daemon/qemu/qemu_machine.h"

// QemuMachine's lifecycle operations: start, pause, resume, restart, stop.

namespace vpvm::qemu {
namespace {

// How long QEMU may take to end after `quit`, and after SIGKILL.
constexpr absl::Duration kQuitTimeout = absl::Seconds(10);
constexpr absl::Duration kKillTimeout = absl::Seconds(5);

// QEMU's stderr without blank lines, for messages and logs.
std::string Summary(const std::string& std_err) {
  std::vector<absl::string_view> lines = absl::StrSplit(std_err, '\n', absl::SkipWhitespace());
  return lines.empty() ? "no message" : absl::StrJoin(lines, "; ");
}

}  // namespace

absl::Status QemuMachine::Start() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("start");
  bool restore;
  {
    std::lock_guard lock(mu_);
    if (alive_) return RefuseLocked("start");
    restore = saved_state_;
    failed_ = false;
    last_error_.clear();
  }
  SetPhase(Phase::kStarting, restore ? "restoring" : "starting");
  absl::Status started = restore ? StartFromSavedState() : StartFresh();
  if (!started.ok()) {
    SetLastError(started);
    EndProcessAfterFailedStart();
  }
  SetPhase(Phase::kIdle);
  return started;
}

absl::Status QemuMachine::StartFresh() {
  VPVM_RETURN_IF_ERROR(Launch(/*restore=*/false));
  return Continue();
}

absl::Status QemuMachine::Launch(bool restore) {
  Accelerator accelerator = ResolveAccelerator(spec_.accelerator);
  if (accelerator == Accelerator::kKvm && !KvmUsable()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VM '", spec_.name, "' asks for KVM, but /dev/kvm is not usable on this host"));
  }
  for (const std::string& disk : spec_.disks) {
    if (!internal::FileExists(disk)) {
      return absl::NotFoundError(
          absl::StrCat("disk image ", disk, " of VM '", spec_.name, "' does not exist"));
    }
  }
  RemoveStaleFiles();

  std::vector<std::string> argv = internal::BuildCommandLine(
      spec_, accelerator, restore ? internal::LaunchKind::kRestore : internal::LaunchKind::kFresh,
      KvmCpuModel());
  internal::Logger()->info("VM '{}' ({}): launching QEMU ({}{})", spec_.name, spec_.id,
                           internal::Sv(AcceleratorName(accelerator)),
                           restore ? ", restoring saved state" : "");
  internal::Logger()->debug("VM '{}': {}", spec_.name, absl::StrJoin(argv, " "));
  VPVM_ASSIGN_OR_RETURN(internal::CommandResult launched,
                        internal::RunCommand(argv, spec_.launch_timeout));
  if (!launched.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("QEMU could not start VM '", spec_.name, "': ", Summary(launched.std_err)));
  }
  if (!launched.std_err.empty()) {
    internal::Logger()->warn("VM '{}': QEMU says: {}", spec_.name, Summary(launched.std_err));
  }

  VPVM_ASSIGN_OR_RETURN(pid_t pid, internal::ReadPidFile(paths_.pid_file));
  VPVM_RETURN_IF_ERROR(Attach(pid));
  internal::Logger()->info("VM '{}' ({}): QEMU runs as process {}", spec_.name, spec_.id, pid);
  return absl::OkStatus();
}

absl::Status QemuMachine::Continue() {
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) return absl::InternalError(absl::StrCat("QEMU of VM '", spec_.name, "' ended"));
  VPVM_RETURN_IF_ERROR(qmp->Execute("cont").status());
  // The RESUME event precedes the reply, so the tracked state is already current.
  {
    std::lock_guard lock(mu_);
    if (qemu_state_ == VmState::kRunning) return absl::OkStatus();
  }
  VPVM_RETURN_IF_ERROR(RefreshRunState());
  std::lock_guard lock(mu_);
  if (qemu_state_ == VmState::kRunning) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("VM '", spec_.name, "' did not start running; it is ",
                                          VmStateName(qemu_state_)));
}

void QemuMachine::EndProcessAfterFailedStart() {
  bool alive;
  {
    std::lock_guard lock(mu_);
    alive = alive_;
    exit_expected_ = true;
  }
  if (alive) {
    if (absl::Status quit = Quit(); !quit.ok()) SetLastError(quit);
    return;
  }
  // A process may have been launched without being attached.
  absl::StatusOr<pid_t> pid = internal::ReadPidFile(paths_.pid_file);
  if (pid.ok() && internal::ProcessAlive(*pid) && internal::IsProcessOf(spec_, *pid)) {
    if (auto process = internal::Process::Open(*pid); process.ok()) {
      (*process)->Signal(SIGKILL).IgnoreError();
      (*process)->WaitForExit(kKillTimeout);
    }
  }
  RemoveStaleFiles();
}

absl::Status QemuMachine::Pause() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("pause");
  std::shared_ptr<QmpClient> qmp;
  {
    std::lock_guard lock(mu_);
    if (!alive_ || qemu_state_ != VmState::kRunning) return RefuseLocked("pause");
    qmp = qmp_;
  }
  VPVM_RETURN_IF_ERROR(qmp->Execute("stop").status());
  return RefreshRunState();
}

absl::Status QemuMachine::Resume() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("resume");
  std::shared_ptr<QmpClient> qmp;
  VmState current;
  {
    std::lock_guard lock(mu_);
    current = qemu_state_;
    bool resumable =
        current == VmState::kPaused || current == VmState::kError || current == VmState::kSuspended;
    if (!alive_ || !resumable) return RefuseLocked("resume");
    qmp = qmp_;
  }
  if (current == VmState::kSuspended) {
    VPVM_RETURN_IF_ERROR(qmp->Execute("system_wakeup").status());
    return RefreshRunState();
  }
  return Continue();
}

absl::Status QemuMachine::Restart() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("restart");
  std::shared_ptr<QmpClient> qmp;
  {
    std::lock_guard lock(mu_);
    if (!alive_ || qemu_state_ == VmState::kStarting || qemu_state_ == VmState::kStopping) {
      return RefuseLocked("restart");
    }
    qmp = qmp_;
  }
  internal::Logger()->info("VM '{}' ({}): resetting", spec_.name, spec_.id);
  VPVM_RETURN_IF_ERROR(qmp->Execute("system_reset").status());
  return RefreshRunState();
}

absl::Status QemuMachine::Stop(StopMode mode) {
  const bool forced = mode == StopMode::kForced;
  std::unique_lock op(op_mu_, std::defer_lock);
  bool waited = false;
  if (forced) {
    // Cuts short the power-down wait of a graceful stop under way.
    {
      std::lock_guard lock(mu_);
      force_stop_requested_ = true;
      cv_.notify_all();
    }
    if (!op.try_lock()) {
      waited = true;
      op.lock();
    }
    std::lock_guard lock(mu_);
    force_stop_requested_ = false;
  } else if (!op.try_lock()) {
    return Busy("stop");
  }

  {
    std::lock_guard lock(mu_);
    if (!alive_) {
      if (waited) return absl::OkStatus();  // the operation we waited for ended the process
      if (!failed_) return RefuseLocked("stop");
      failed_ = false;
    }
  }
  if (!CurrentQmp()) {  // cleared an error of a process that was already gone
    NotifyIfChanged();
    return absl::OkStatus();
  }

  internal::Logger()->info("VM '{}' ({}): {} stop", spec_.name, spec_.id,
                           forced ? "forced" : "graceful");
  SetPhase(Phase::kStopping, forced ? "stopping (forced)" : "stopping");
  absl::Status stopped = forced ? Quit() : StopGracefully();
  if (!stopped.ok()) SetLastError(stopped);
  SetPhase(Phase::kIdle);
  return stopped;
}

absl::Status QemuMachine::StopGracefully() {
  {
    std::lock_guard lock(mu_);
    exit_expected_ = true;
  }
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) return absl::OkStatus();
  absl::Status asked = qmp->Execute("system_powerdown").status();
  if (!asked.ok()) {
    internal::Logger()->warn("VM '{}': power-down request failed ({}); quitting QEMU", spec_.name,
                             internal::Sv(asked.message()));
    return Quit();
  }
  if (WaitForExit(spec_.graceful_stop_timeout, /*stop_on_force_request=*/true)) {
    return absl::OkStatus();
  }
  bool cut_short;
  {
    std::lock_guard lock(mu_);
    cut_short = force_stop_requested_;
  }
  if (cut_short) {
    internal::Logger()->info("VM '{}' ({}): forced stop requested; quitting QEMU", spec_.name,
                             spec_.id);
  } else {
    internal::Logger()->info("VM '{}' ({}): guest did not power off within {}; quitting QEMU",
                             spec_.name, spec_.id,
                             absl::FormatDuration(spec_.graceful_stop_timeout));
  }
  return Quit();
}

absl::Status QemuMachine::Quit() {
  std::shared_ptr<internal::Process> process;
  {
    std::lock_guard lock(mu_);
    exit_expected_ = true;
    process = process_;
  }
  if (std::shared_ptr<QmpClient> qmp = CurrentQmp()) {
    // The reply may be lost when QEMU ends first; the process exit is what counts.
    qmp->Execute("quit", nullptr, absl::Seconds(5)).IgnoreError();
  }
  if (WaitForExit(kQuitTimeout, /*stop_on_force_request=*/false)) return absl::OkStatus();

  internal::Logger()->warn("VM '{}' ({}): QEMU did not end after quit; sending SIGKILL", spec_.name,
                           spec_.id);
  if (process) VPVM_RETURN_IF_ERROR(process->Signal(SIGKILL));
  if (WaitForExit(kKillTimeout, /*stop_on_force_request=*/false)) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("QEMU process of VM '", spec_.name, "' did not end after SIGKILL"));
}

bool QemuMachine::WaitForExit(absl::Duration timeout, bool stop_on_force_request) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, internal::ToChrono(timeout),
               [&] { return !alive_ || (stop_on_force_request && force_stop_requested_); });
  return !alive_;
}

}  // namespace vpvm::qemu
