#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/qemu/internal/chrono.h"
#include "daemon/qemu/internal/command_line.h"
#include "daemon/qemu/internal/files.h"
#include "daemon/qemu/internal/json_util.h"
#include "daemon/qemu/internal/logging.h"
#include "daemon/qemu/qemu_machine.h"

// QemuMachine's suspend (machine state saved to a file, process ended) and the restore that the
// next start performs. QEMU 7.2 migrates to a command, not to a file: "exec:cat > FILE".

namespace vpvm::qemu {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// How long the state file may take to land once QEMU reports the migration completed: only the
// writer's last buffers are left by then.
constexpr absl::Duration kStateFileTimeout = absl::Minutes(1);
// Saving to a local file should not be throttled like a migration over a network (QEMU's
// default is 32 MiB/s).
constexpr uint64_t kUnthrottledBytesPerSecond = uint64_t{1} << 40;

bool Terminal(const std::string& migration_status) {
  return migration_status == "completed" || migration_status == "failed" ||
         migration_status == "cancelled";
}

json MigrationEventsOn() {
  return {{"capabilities", {{{"capability", "events"}, {"state", true}}}}};
}

}  // namespace

absl::Status QemuMachine::StartFromSavedState() {
  VPVM_RETURN_IF_ERROR(Launch(/*restore=*/true));
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) return absl::InternalError("QEMU ended right after it was launched");
  VPVM_RETURN_IF_ERROR(qmp->Execute("migrate-set-capabilities", MigrationEventsOn()).status());
  {
    std::lock_guard lock(mu_);
    migration_status_.clear();
  }
  std::string uri = absl::StrCat("exec:cat ", internal::ShellQuote(paths_.saved_state));
  VPVM_RETURN_IF_ERROR(qmp->Execute("migrate-incoming", {{"uri", uri}}).status());
  if (absl::Status loaded = WaitForMigration("restoring the saved state"); !loaded.ok()) {
    return absl::Status(loaded.code(),
                        absl::StrCat(loaded.message(), "; the saved state ", paths_.saved_state,
                                     " is kept (discard it to start the VM afresh)"));
  }
  VPVM_RETURN_IF_ERROR(Continue());

  // Only now is the file no longer needed: the guest runs again from it.
  VPVM_RETURN_IF_ERROR(internal::RemoveFile(paths_.saved_state));
  {
    std::lock_guard lock(mu_);
    saved_state_ = false;
  }
  internal::Logger()->info("VM '{}' ({}): restored from its saved state", spec_.name, spec_.id);
  return absl::OkStatus();
}

absl::Status QemuMachine::Suspend() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("suspend");
  bool was_running;
  {
    std::lock_guard lock(mu_);
    if (!alive_ || (qemu_state_ != VmState::kRunning && qemu_state_ != VmState::kPaused)) {
      return RefuseLocked("suspend");
    }
    was_running = qemu_state_ == VmState::kRunning;
  }
  SetPhase(Phase::kStopping, "suspending");
  absl::Status saved = SaveState(was_running);
  if (!saved.ok()) {
    SetLastError(saved);
    internal::RemoveFile(paths_.saved_state_partial).IgnoreError();
    if (std::shared_ptr<QmpClient> qmp = CurrentQmp(); qmp && was_running) {
      qmp->Execute("cont").IgnoreError();
    }
    SetPhase(Phase::kIdle);
    RefreshRunState().IgnoreError();
    return saved;
  }
  absl::Status quit = Quit();
  if (!quit.ok()) SetLastError(quit);
  SetPhase(Phase::kIdle);
  return quit;
}

absl::Status QemuMachine::SaveState(bool was_running) {
  std::shared_ptr<QmpClient> qmp = CurrentQmp();
  if (!qmp) return absl::InternalError(absl::StrCat("QEMU of VM '", spec_.name, "' ended"));
  if (was_running) VPVM_RETURN_IF_ERROR(qmp->Execute("stop").status());
  VPVM_RETURN_IF_ERROR(qmp->Execute("migrate-set-capabilities", MigrationEventsOn()).status());
  VPVM_RETURN_IF_ERROR(
      qmp->Execute("migrate-set-parameters", {{"max-bandwidth", kUnthrottledBytesPerSecond}})
          .status());
  VPVM_RETURN_IF_ERROR(internal::RemoveFile(paths_.saved_state_partial));
  {
    std::lock_guard lock(mu_);
    migration_status_.clear();
  }

  // QEMU 7.2 has no file: target. The writer renames the file into place once it has written
  // the last byte, so a file under the final name is always complete.
  std::string partial = internal::ShellQuote(paths_.saved_state_partial);
  std::string uri = absl::StrCat("exec:cat > ", partial, " && mv -f ", partial, " ",
                                 internal::ShellQuote(paths_.saved_state));
  absl::Time started = absl::Now();
  VPVM_RETURN_IF_ERROR(qmp->Execute("migrate", {{"uri", uri}}).status());
  absl::Status migrated = WaitForMigration("saving the machine state");
  if (!migrated.ok()) {
    absl::StatusOr<json> info = qmp->Execute("query-migrate");
    if (absl::IsDeadlineExceeded(migrated)) qmp->Execute("migrate_cancel").IgnoreError();
    std::string why = info.ok() ? internal::StringField(*info, "error-desc") : "";
    if (why.empty()) return migrated;
    return absl::Status(migrated.code(), absl::StrCat(migrated.message(), ": ", why));
  }
  if (!internal::WaitForFile(paths_.saved_state, absl::Now() + kStateFileTimeout)) {
    return absl::InternalError(
        absl::StrCat("the saved state of VM '", spec_.name, "' was not written completely"));
  }
  VPVM_RETURN_IF_ERROR(internal::SyncPath(paths_.saved_state));
  VPVM_RETURN_IF_ERROR(internal::SyncPath(spec_.folder));
  {
    std::lock_guard lock(mu_);
    saved_state_ = true;
  }
  std::error_code error;
  uintmax_t size = fs::file_size(paths_.saved_state, error);
  internal::Logger()->info("VM '{}' ({}): machine state saved ({} bytes in {})", spec_.name,
                           spec_.id, error ? 0 : size, absl::FormatDuration(absl::Now() - started));
  return absl::OkStatus();
}

absl::Status QemuMachine::WaitForMigration(absl::string_view what) {
  std::unique_lock lock(mu_);
  bool ended = cv_.wait_for(lock, internal::ToChrono(spec_.state_transfer_timeout),
                            [&] { return Terminal(migration_status_) || !alive_; });
  if (migration_status_ == "completed") return absl::OkStatus();
  std::string prefix = absl::StrCat(what, " of VM '", spec_.name, "' ");
  if (!ended) {
    return absl::DeadlineExceededError(absl::StrCat(
        prefix, "did not finish within ", absl::FormatDuration(spec_.state_transfer_timeout)));
  }
  if (!alive_) return absl::InternalError(absl::StrCat(prefix, "failed: QEMU ended"));
  return absl::InternalError(absl::StrCat(prefix, "failed: migration ", migration_status_));
}

absl::Status QemuMachine::DiscardSavedState() {
  std::unique_lock op(op_mu_, std::try_to_lock);
  if (!op.owns_lock()) return Busy("discard the saved state of");
  {
    std::lock_guard lock(mu_);
    if (alive_) return RefuseLocked("discard the saved state of");
    if (!saved_state_) {
      return absl::FailedPreconditionError(
          absl::StrCat("VM '", spec_.name, "' has no saved state"));
    }
  }
  VPVM_RETURN_IF_ERROR(internal::RemoveFile(paths_.saved_state));
  {
    std::lock_guard lock(mu_);
    saved_state_ = false;
  }
  internal::Logger()->info("VM '{}' ({}): saved state discarded", spec_.name, spec_.id);
  NotifyIfChanged();
  return absl::OkStatus();
}

}  // namespace vpvm::qemu
