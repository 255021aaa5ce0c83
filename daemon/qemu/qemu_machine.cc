#include "daemon/qemu/qemu_machine.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/qemu/internal/command_line.h"
#include "daemon/qemu/internal/files.h"
#include "daemon/qemu/internal/json_util.h"
#include "daemon/qemu/internal/logging.h"
#include "daemon/qemu/internal/process.h"

// The machine's attachment to its process, its state bookkeeping and QMP events. Lifecycle
// operations are in qemu_machine_operations.cc, suspend and restore in qemu_machine_suspend.cc.

namespace vpvm::qemu {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opening and attaching

absl::StatusOr<std::unique_ptr<QemuMachine>> QemuMachine::Open(QemuMachineSpec spec,
                                                               StateCallback on_state_change) {
  spec.folder = Absolute(spec.folder);
  for (std::string& disk : spec.disks) disk = Absolute(disk);
  VPVM_RETURN_IF_ERROR(ValidateSpec(spec));
  std::error_code error;
  fs::create_directories(spec.folder, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create folder ", spec.folder, " of VM '", spec.name, "': ", error.message()));
  }

  auto machine =
      std::unique_ptr<QemuMachine>(new QemuMachine(std::move(spec), std::move(on_state_change)));
  VPVM_RETURN_IF_ERROR(machine->AttachIfRunning());
  {
    std::lock_guard notify(machine->notify_mu_);
    std::lock_guard lock(machine->mu_);
    machine->reported_ = machine->ComputeStateLocked();
  }
  internal::Logger()->info("VM '{}' ({}): opened, {}", machine->spec_.name, machine->spec_.id,
                           internal::Sv(VmStateName(machine->state())));
  return machine;
}

QemuMachine::QemuMachine(QemuMachineSpec spec, StateCallback on_state_change)
    : spec_(std::move(spec)),
      paths_(PathsOf(spec_)),
      on_state_change_(std::move(on_state_change)) {}

QemuMachine::~QemuMachine() {
  std::shared_ptr<internal::Process> process;
  std::shared_ptr<QmpClient> qmp;
  {
    std::lock_guard lock(mu_);
    process = process_;
    qmp = qmp_;
  }
  // Outside mu_: both joins may wait for a handler that takes it.
  if (process) process->StopWatching();
  if (qmp) qmp->Close();
  internal::Logger()->debug("VM '{}' ({}): detached", spec_.name, spec_.id);
}

absl::Status QemuMachine::AttachIfRunning() {
  {
    std::lock_guard lock(mu_);
    saved_state_ = internal::FileExists(paths_.saved_state);
  }
  absl::StatusOr<pid_t> pid = internal::ReadPidFile(paths_.pid_file);
  if (!pid.ok() || !internal::ProcessAlive(*pid) || !internal::IsProcessOf(spec_, *pid)) {
    if (pid.ok() || !absl::IsNotFound(pid.status())) {
      internal::Logger()->info("VM '{}' ({}): removing the files of a QEMU process that ended",
                               spec_.name, spec_.id);
    }
    RemoveStaleFiles();
    return absl::OkStatus();
  }
  absl::Status attached = Attach(*pid);
  if (!attached.ok()) {
    return absl::Status(attached.code(),
                        absl::StrCat("VM '", spec_.name, "': QEMU process ", *pid,
                                     " runs but cannot be attached: ", attached.message()));
  }
  internal::Logger()->info("VM '{}' ({}): attached to running QEMU process {}", spec_.name,
                           spec_.id, *pid);
  return absl::OkStatus();
}

absl::Status QemuMachine::Attach(pid_t pid) {
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<internal::Process> process, internal::Process::Open(pid));
  QmpClient::Options options;
  options.on_event = [this](const QmpEvent& event) { OnQmpEvent(event); };
  options.log_name = absl::StrCat("VM '", spec_.name, "'");
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<QmpClient> qmp,
                        QmpClient::Connect(paths_.qmp_socket, std::move(options)));

  std::shared_ptr<internal::Process> previous;
  {
    std::lock_guard lock(mu_);
    previous = std::move(process_);
    process_ = process;
    qmp_ = qmp;
    alive_ = true;
    qemu_state_ = VmState::kStarting;
    exit_expected_ = false;
    failed_ = false;
    migration_status_.clear();
  }
  previous.reset();  // joins its finished watcher, outside mu_
  VPVM_RETURN_IF_ERROR(process->WatchExit([this] { OnProcessExit(); }));

  absl::StatusOr<json> kvm = qmp->Execute("query-kvm");
  {
    std::lock_guard lock(mu_);
    accelerator_ =
        kvm.ok() && internal::BoolField(*kvm, "enabled") ? Accelerator::kKvm : Accelerator::kTcg;
  }
  return RefreshRunState();
}

absl::Status QemuMachine::RefreshRunState() {
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) return absl::FailedPreconditionError("no QEMU process");
  uint64_t events_before;
  {
    std::lock_guard lock(mu_);
    events_before = state_events_;
  }
  VPVM_ASSIGN_OR_RETURN(json status, qmp->Execute("query-status"));
  std::string run_state = internal::StringField(status, "status");
  {
    std::lock_guard lock(mu_);
    // An event handled meanwhile is at least as recent as this answer.
    if (state_events_ == events_before && alive_) qemu_state_ = VmStateFromRunState(run_state);
  }
  NotifyIfChanged();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Accessors

VmState QemuMachine::state() const {
  std::lock_guard lock(mu_);
  return ComputeStateLocked();
}

std::string QemuMachine::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

std::optional<pid_t> QemuMachine::pid() const {
  std::lock_guard lock(mu_);
  if (!alive_ || !process_) return std::nullopt;
  return process_->pid();
}

Accelerator QemuMachine::accelerator() const {
  std::lock_guard lock(mu_);
  return alive_ ? accelerator_ : Accelerator::kAuto;
}

bool QemuMachine::has_saved_state() const {
  std::lock_guard lock(mu_);
  return saved_state_;
}

VmState QemuMachine::ComputeStateLocked() const {
  if (phase_ == Phase::kStarting) return VmState::kStarting;
  if (phase_ == Phase::kStopping) return VmState::kStopping;
  if (alive_) return qemu_state_;
  if (failed_) return VmState::kError;
  if (saved_state_) return VmState::kSuspended;
  return VmState::kStopped;
}

std::shared_ptr<QmpClient> QemuMachine::CurrentQmp() const {
  std::lock_guard lock(mu_);
  return alive_ ? qmp_ : nullptr;
}

absl::Status QemuMachine::Busy(absl::string_view operation) const {
  std::lock_guard lock(mu_);
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", operation, " VM '", spec_.name, "': it is busy ",
                   operation_.empty() ? "with another operation" : operation_));
}

absl::Status QemuMachine::RefuseLocked(absl::string_view operation) const {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot ", operation, " VM '", spec_.name, "': it is ", VmStateName(ComputeStateLocked())));
}

// ---------------------------------------------------------------------------------------------
// Raw QMP

absl::StatusOr<std::string> QemuMachine::QueryRunState() {
  VPVM_ASSIGN_OR_RETURN(json status, ExecuteQmp("query-status"));
  return internal::StringField(status, "status");
}

absl::StatusOr<json> QemuMachine::ExecuteQmp(absl::string_view command, const json& arguments) {
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) {
    return absl::FailedPreconditionError(
        absl::StrCat("VM '", spec_.name, "' has no QEMU process; it is ", VmStateName(state())));
  }
  return qmp->Execute(command, arguments);
}

// ---------------------------------------------------------------------------------------------
// Events and bookkeeping

void QemuMachine::OnQmpEvent(const QmpEvent& event) {
  const std::string& name = event.name;
  const std::string action = internal::StringField(event.data, "action");
  bool state_event = true;
  {
    std::lock_guard lock(mu_);
    if (name == "STOP") {
      // Halts on a fault are announced (BLOCK_IO_ERROR, GUEST_PANICKED...) before STOP.
      if (qemu_state_ != VmState::kError) qemu_state_ = VmState::kPaused;
    } else if (name == "RESUME" || name == "WAKEUP") {
      qemu_state_ = VmState::kRunning;
    } else if (name == "SHUTDOWN" || name == "SUSPEND_DISK") {
      qemu_state_ = VmState::kStopping;
      exit_expected_ = true;
    } else if (name == "SUSPEND") {
      qemu_state_ = VmState::kSuspended;
    } else if ((name == "GUEST_PANICKED" || name == "WATCHDOG") && action == "pause") {
      qemu_state_ = VmState::kError;
      last_error_ = absl::StrCat("QEMU halted the guest: ", name);
    } else if (name == "BLOCK_IO_ERROR" && action == "stop") {
      qemu_state_ = VmState::kError;
      last_error_ = absl::StrCat("QEMU halted the guest on a disk error: ",
                                 internal::StringField(event.data, "reason"));
    } else if (name == "MIGRATION") {
      migration_status_ = internal::StringField(event.data, "status");
      state_event = false;
    } else {
      state_event = false;
    }
    if (state_event) ++state_events_;
    cv_.notify_all();
  }

  if (name == "SHUTDOWN" || name == "POWERDOWN" || name == "RESET") {
    internal::Logger()->info("VM '{}' ({}): {} ({})", spec_.name, spec_.id, name,
                             internal::StringField(event.data, "reason", "no reason given"));
  } else if (name == "GUEST_PANICKED" || name == "BLOCK_IO_ERROR" || name == "WATCHDOG") {
    internal::Logger()->warn("VM '{}' ({}): {} {}", spec_.name, spec_.id, name,
                             event.data.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  if (state_event) NotifyIfChanged();
}

void QemuMachine::OnProcessExit() {
  pid_t pid = 0;
  std::shared_ptr<QmpClient> qmp;
  {
    std::lock_guard lock(mu_);
    if (process_) pid = process_->pid();
    qmp = std::move(qmp_);
  }
  // Files first: once alive_ is false a new launch may write them.
  if (absl::StatusOr<pid_t> in_file = internal::ReadPidFile(paths_.pid_file);
      in_file.ok() && *in_file == pid) {
    internal::RemoveFile(paths_.pid_file).IgnoreError();
  }
  internal::RemoveFile(paths_.qmp_socket).IgnoreError();
  if (qmp) qmp->Close();

  bool unexpected;
  {
    std::lock_guard lock(mu_);
    alive_ = false;
    qemu_state_ = VmState::kStopped;
    unexpected = !exit_expected_ && phase_ == Phase::kIdle;
    if (unexpected) {
      failed_ = true;
      last_error_ = absl::StrCat("QEMU process ", pid, " ended unexpectedly");
    }
    cv_.notify_all();
  }
  if (unexpected) {
    internal::Logger()->warn("VM '{}' ({}): QEMU process {} ended unexpectedly", spec_.name,
                             spec_.id, pid);
  } else {
    internal::Logger()->info("VM '{}' ({}): QEMU process {} ended", spec_.name, spec_.id, pid);
  }
  NotifyIfChanged();
}

void QemuMachine::RemoveStaleFiles() {
  internal::RemoveFile(paths_.pid_file).IgnoreError();
  internal::RemoveFile(paths_.qmp_socket).IgnoreError();
  internal::RemoveFile(paths_.saved_state_partial).IgnoreError();
}

void QemuMachine::SetPhase(Phase phase, absl::string_view operation) {
  {
    std::lock_guard lock(mu_);
    phase_ = phase;
    operation_ = std::string(operation);
  }
  NotifyIfChanged();
}

void QemuMachine::SetLastError(const absl::Status& status) {
  {
    std::lock_guard lock(mu_);
    last_error_ = std::string(status.message());
  }
  internal::Logger()->warn("VM '{}' ({}): {}", spec_.name, spec_.id,
                           internal::Sv(status.message()));
}

void QemuMachine::NotifyIfChanged() {
  std::lock_guard notify(notify_mu_);
  VmState now;
  {
    std::lock_guard lock(mu_);
    now = ComputeStateLocked();
  }
  VmState before = reported_;
  if (before == now) return;
  reported_ = now;
  internal::Logger()->info("VM '{}' ({}): {} -> {}", spec_.name, spec_.id,
                           internal::Sv(VmStateName(before)), internal::Sv(VmStateName(now)));
  if (on_state_change_) on_state_change_(spec_.id, before, now);
}

}  // namespace vpvm::qemu
