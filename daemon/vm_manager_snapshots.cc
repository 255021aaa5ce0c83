#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/vm_manager.h"

// VmManager's snapshots: qcow2 internal snapshots of the same name on every disk of a stopped VM,
// with their description and time in the VM's record.

namespace vpvm::daemon {
namespace {

std::shared_ptr<spdlog::logger> Log() { return Logger("daemon"); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Snapshots

absl::StatusOr<std::vector<SnapshotRecord>> VmManager::ListSnapshots(absl::string_view vm) const {
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<Vm> found, Resolve(vm));
  std::lock_guard lock(found->mu);
  return found->config.snapshots;
}

absl::StatusOr<SnapshotRecord> VmManager::CreateSnapshot(absl::string_view vm,
                                                         absl::string_view name,
                                                         absl::string_view description) {
  if (!name.empty()) VPVM_RETURN_IF_ERROR(CheckSnapshotName(name));
  VPVM_RETURN_IF_ERROR(CheckDescription(description));
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "take a snapshot"));
  VmConfig updated = held.config;
  if (updated.disks.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VM \"", updated.name, "\" has no disk; a snapshot is of a VM's disks, so add one first"));
  }
  SnapshotRecord snapshot{std::string(name), std::string(description), clock_.Now()};
  if (snapshot.name.empty()) {
    snapshot.name = FirstFreeName("snap", updated.snapshots);
  } else if (HasNamed(updated.snapshots, snapshot.name)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "VM \"", updated.name, "\" has a snapshot named \"", snapshot.name, "\" already"));
  }

  const std::string folder = FolderOf(updated.id);
  size_t done = 0;
  absl::Status taken = absl::OkStatus();
  for (const DiskConfig& disk : updated.disks) {
    taken = qemu_img_.CreateSnapshot(DiskPath(folder, disk.name), snapshot.name);
    if (!taken.ok()) break;
    ++done;
  }
  updated.snapshots.push_back(snapshot);
  if (taken.ok()) taken = Commit(held, std::move(updated));
  if (!taken.ok()) {
    // Undone on the disks that took it, and only there.
    for (size_t i = 0; i < done; ++i) {
      qemu_img_.DeleteSnapshot(DiskPath(folder, held.config.disks[i].name), snapshot.name)
          .IgnoreError();
    }
    return taken;
  }
  Log()->info("VM '{}' ({}): snapshot '{}' taken", held.config.name, held.config.id, snapshot.name);
  return snapshot;
}

absl::StatusOr<VmInfo> VmManager::RestoreSnapshot(absl::string_view vm,
                                                  absl::string_view snapshot) {
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "restore a snapshot"));
  const VmConfig& config = held.config;
  if (!HasNamed(config.snapshots, snapshot)) {
    return absl::NotFoundError(
        absl::StrCat("VM \"", config.name, "\" has no snapshot \"", snapshot, "\""));
  }
  if (config.disks.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VM \"", config.name, "\" has no disk left to restore snapshot \"", snapshot, "\" to"));
  }
  // Every disk must hold the snapshot before any is rolled back.
  const std::string folder = FolderOf(config.id);
  for (const DiskConfig& disk : config.disks) {
    VPVM_ASSIGN_OR_RETURN(std::vector<qemu::ImageSnapshot> held_snapshots,
                          qemu_img_.ListSnapshots(DiskPath(folder, disk.name)));
    if (!HasNamed(held_snapshots, snapshot)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot \"", snapshot, "\" of VM \"", config.name, "\" does not cover disk \"",
          disk.name, "\" (added after it); remove that disk to restore the snapshot"));
    }
  }
  std::vector<std::string> restored;
  for (const DiskConfig& disk : config.disks) {
    absl::Status applied = qemu_img_.ApplySnapshot(DiskPath(folder, disk.name), snapshot);
    if (!applied.ok()) {
      return absl::Status(
          applied.code(),
          absl::StrCat(
              "restoring snapshot \"", snapshot, "\" of VM \"", config.name, "\" failed on disk \"",
              disk.name, "\": ", applied.message(),
              restored.empty() ? "" : "; already restored: ", absl::StrJoin(restored, ", ")));
    }
    restored.push_back(disk.name);
  }
  Log()->info("VM '{}' ({}): snapshot '{}' restored", config.name, config.id, snapshot);
  return Describe(*held.vm);
}

absl::Status VmManager::DeleteSnapshot(absl::string_view vm, absl::string_view snapshot) {
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "delete a snapshot"));
  VmConfig updated = held.config;
  auto it = FindNamed(updated.snapshots, snapshot);
  if (it == updated.snapshots.end()) {
    return absl::NotFoundError(
        absl::StrCat("VM \"", updated.name, "\" has no snapshot \"", snapshot, "\""));
  }
  const std::string folder = FolderOf(updated.id);
  for (const DiskConfig& disk : updated.disks) {
    absl::Status deleted = qemu_img_.DeleteSnapshot(DiskPath(folder, disk.name), snapshot);
    // A disk added after the snapshot never held it.
    if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  }
  updated.snapshots.erase(it);
  VPVM_RETURN_IF_ERROR(Commit(held, std::move(updated)));
  Log()->info("VM '{}' ({}): snapshot '{}' deleted", held.config.name, held.config.id, snapshot);
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
