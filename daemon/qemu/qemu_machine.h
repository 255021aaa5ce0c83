#pragma once

// QemuMachine: one VM, run as its own daemonized qemu-system-x86_64 process and driven over the
// QMP socket in the VM's folder.
//
// The process outlives this object and the daemon. Destroying a QemuMachine leaves its VM as it
// is; Open() with the same spec attaches to a process that still runs (pid file, live process
// carrying this VM's QMP argument, QMP socket) and reports the state QEMU reports.
//
// Promises:
//  - state() is kept current from QMP events (plus one query-status on attach); reading it
//    never talks to QEMU;
//  - each operation returns once QEMU reports the state it aimed for, or with a status saying
//    why not: FailedPrecondition for an operation the current state does not allow (starting a
//    running VM, pausing a paused one, stopping a stopped one) or while another operation on
//    the same VM is under way, InvalidArgument/NotFound for bad input, the QEMU error
//    otherwise. A refused operation changes nothing;
//  - waits are on QMP events and process exit (a pidfd), never fixed sleeps;
//  - all methods are thread-safe. Operations on one machine are serialised (a forced stop cuts
//    short the wait of a graceful one); machines share no lock, so a slow operation on one VM
//    never delays another;
//  - suspend writes the machine state to a temporary file that is renamed into place only once
//    complete, and the next Start restores it and deletes it after the guest runs again.
//
// One QMP client per VM at a time: while one QemuMachine is attached, another object (in any
// process) cannot attach to the same VM.

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/qemu/accelerator.h"
#include "daemon/qemu/machine_spec.h"
#include "daemon/qemu/qmp_client.h"
#include "daemon/qemu/vm_state.h"
#include "nlohmann/json.hpp"

namespace vpvm::qemu {

namespace internal {
class Process;
}  // namespace internal

enum class StopMode {
  kGraceful,  // ACPI power-down; after graceful_stop_timeout, as kForced
  kForced,    // QMP quit; SIGKILL when QEMU does not end
};

class QemuMachine {
 public:
  // Called after every change of state(), in order, outside the machine's locks. May call
  // state() and the other accessors, but no operation of the same machine; should be quick (it
  // may run on the QMP reader thread).
  using StateCallback =
      std::function<void(absl::string_view vm_id, VmState old_state, VmState new_state)>;

  // Validates `spec`, creates its folder when missing, and attaches to the VM's QEMU process
  // when one runs. Stale pid files and sockets of a process that ended are removed. Fails when
  // a live process of this VM does not answer on QMP (e.g. another client holds it).
  static absl::StatusOr<std::unique_ptr<QemuMachine>> Open(QemuMachineSpec spec,
                                                           StateCallback on_state_change = {});

  QemuMachine(const QemuMachine&) = delete;
  QemuMachine& operator=(const QemuMachine&) = delete;
  // Detaches; the QEMU process, if any, keeps running.
  ~QemuMachine();

  const QemuMachineSpec& spec() const { return spec_; }
  const MachinePaths& paths() const { return paths_; }

  VmState state() const;
  // Why the VM is in kError, or what the last failed operation reported; "" when neither.
  std::string last_error() const;
  // The QEMU process, while there is one.
  std::optional<pid_t> pid() const;
  // The accelerator of the running process (kKvm or kTcg); kAuto while there is none.
  Accelerator accelerator() const;
  bool has_saved_state() const;

  // Stopped → running, or suspended → restored and running. FailedPrecondition when a QEMU
  // process runs already.
  absl::Status Start();
  // Running → paused (QMP stop).
  absl::Status Pause();
  // Paused (or halted on an error) → running with cont; guest-suspended → running with
  // system_wakeup.
  absl::Status Resume();
  // A hardware reset (system_reset); a running VM keeps running, a paused one stays paused.
  absl::Status Restart();
  // Ends the QEMU process. Also clears kError of a VM whose process is already gone. Refused
  // for a stopped VM and a suspended one (whose saved state it would lose).
  absl::Status Stop(StopMode mode);
  // Running or paused → suspended: the machine state is saved to paths().saved_state and the
  // process ends. On failure the VM is left running (or paused) as it was.
  absl::Status Suspend();
  // Suspended → stopped: deletes the saved state. Refused while a process runs.
  absl::Status DiscardSavedState();

  // Asks QEMU for its run state now ("running", "paused", ...), bypassing the tracked state.
  absl::StatusOr<std::string> QueryRunState();
  // Runs any QMP command on the VM, for features this class does not wrap. Changes of run
  // state it causes are tracked like any other.
  absl::StatusOr<nlohmann::json> ExecuteQmp(absl::string_view command,
                                            const nlohmann::json& arguments = nullptr);

 private:
  enum class Phase { kIdle, kStarting, kStopping };

  QemuMachine(QemuMachineSpec spec, StateCallback on_state_change);

  absl::Status AttachIfRunning();
  absl::Status Attach(pid_t pid);
  absl::Status Launch(bool restore);
  absl::Status StartFresh();
  absl::Status StartFromSavedState();
  absl::Status SaveState(bool was_running);
  absl::Status WaitForMigration(absl::string_view what);
  absl::Status Continue();
  absl::Status StopGracefully();
  absl::Status Quit();
  absl::Status RefreshRunState();
  void EndProcessAfterFailedStart();
  void RemoveStaleFiles();

  void OnQmpEvent(const QmpEvent& event);
  void OnProcessExit();

  // The FailedPrecondition answers: another operation holds op_mu_, or the state (read with
  // mu_ held) does not allow `operation`.
  absl::Status Busy(absl::string_view operation) const;
  absl::Status RefuseLocked(absl::string_view operation) const;
  void SetPhase(Phase phase, absl::string_view operation = "");
  void SetLastError(const absl::Status& status);
  bool WaitForExit(absl::Duration timeout, bool stop_on_force_request);
  std::shared_ptr<QmpClient> CurrentQmp() const;
  VmState ComputeStateLocked() const;
  void NotifyIfChanged();

  const QemuMachineSpec spec_;
  const MachinePaths paths_;
  const StateCallback on_state_change_;

  // Held for the whole of each operation.
  std::mutex op_mu_;
  // Serialises state-change callbacks so they arrive in order.
  std::mutex notify_mu_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<QmpClient> qmp_;                // guarded by mu_
  std::shared_ptr<internal::Process> process_;    // guarded by mu_
  bool alive_ = false;                            // guarded by mu_
  VmState qemu_state_ = VmState::kStopped;        // guarded by mu_
  Phase phase_ = Phase::kIdle;                    // guarded by mu_
  std::string operation_;                         // guarded by mu_
  bool exit_expected_ = false;                    // guarded by mu_
  bool failed_ = false;                           // guarded by mu_
  std::string last_error_;                        // guarded by mu_
  std::string migration_status_;                  // guarded by mu_
  uint64_t state_events_ = 0;                     // guarded by mu_
  bool saved_state_ = false;                      // guarded by mu_
  bool force_stop_requested_ = false;             // guarded by mu_
  Accelerator accelerator_ = Accelerator::kAuto;  // guarded by mu_
  VmState reported_ = VmState::kStopped;          // guarded by notify_mu_
};

}  // namespace vpvm::qemu
