#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/vm_manager.h"
#include "libauth/access.h"

// VmManager's edits: the configuration, disks and network attachments of a VM (snapshots are in
// vm_manager_snapshots.cc). Each takes the VM's lock alone, checks the VM's state, changes files,
// and commits the new record; when a step fails, the steps before it are undone.

namespace vpvm::daemon {
namespace {

std::shared_ptr<spdlog::logger> Log() { return Logger("daemon"); }

absl::string_view StateWords(qemu::VmState state) {
  return state == qemu::VmState::kError ? "in error" : qemu::VmStateName(state);
}

bool SameMachine(const VmConfig& a, const VmConfig& b) {
  if (a.name != b.name || a.cpus != b.cpus || a.memory_bytes != b.memory_bytes ||
      a.disks.size() != b.disks.size()) {
    return false;
  }
  for (size_t i = 0; i < a.disks.size(); ++i) {
    if (a.disks[i].name != b.disks[i].name) return false;
  }
  return true;
}

absl::Status RenameFile(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", from, " to ", to, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Holding and committing

absl::StatusOr<VmManager::Held> VmManager::Hold(absl::string_view vm, Needs needs,
                                                absl::string_view what) const {
  Held held;
  VPVM_ASSIGN_OR_RETURN(held.vm, Resolve(vm));
  held.lock = std::unique_lock(held.vm->op_mu);
  {
    std::lock_guard lock(held.vm->mu);
    if (held.vm->deleted) return absl::NotFoundError(auth::VmNotFoundMessage(vm));
    held.config = held.vm->config;
  }
  VPVM_ASSIGN_OR_RETURN(held.machine, MachineOf(*held.vm));
  const qemu::VmState state = held.machine->state();
  if (state == qemu::VmState::kSuspended && needs != Needs::kAnyState) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VM \"", held.config.name, "\" is suspended, and a suspended VM is not edited; ",
        "start it (it resumes where it was) and stop it before you ", what));
  }
  if (state != qemu::VmState::kStopped && needs == Needs::kStopped) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VM \"", held.config.name, "\" is ", StateWords(state), "; stop it before you ", what));
  }
  return held;
}

absl::Status VmManager::Commit(Held& held, VmConfig updated) {
  VPVM_RETURN_IF_ERROR(SaveVmConfig(FolderOf(updated.id), updated));
  const bool reopen = !SameMachine(held.config, updated);
  {
    std::lock_guard lock(held.vm->mu);
    held.vm->config = updated;
  }
  held.config = std::move(updated);
  if (reopen) {
    // The VM is stopped: its machine holds no process and can be replaced.
    held.machine.reset();
    InstallMachine(*held.vm, OpenMachine(*held.vm));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// New VMs

absl::StatusOr<std::string> VmManager::NewMacAddress(
    const std::vector<NetworkAttachmentConfig>& taken) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint8_t bytes[3];
    {
      std::lock_guard lock(random_mu_);
      VPVM_RETURN_IF_ERROR(random_.Fill(absl::MakeSpan(bytes)));
    }
    std::string mac = absl::StrFormat("52:54:00:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2]);
    bool used = std::any_of(taken.begin(), taken.end(),
                            [&](const NetworkAttachmentConfig& n) { return n.mac_address == mac; });
    if (!used) return mac;
  }
  return absl::InternalError("could not draw an unused MAC address");
}

absl::StatusOr<VmConfig> VmManager::Draft(const NewVm& request) {
  VmConfig config;
  if (!request.name.empty()) VPVM_RETURN_IF_ERROR(CheckVmName(request.name));
  config.name = request.name;
  VPVM_RETURN_IF_ERROR(CheckDescription(request.description));
  config.description = request.description;
  const int64_t cpus = request.cpus == 0 ? kDefaultCpus : request.cpus;
  VPVM_RETURN_IF_ERROR(CheckCpus(cpus));
  config.cpus = static_cast<int>(cpus);
  config.memory_bytes = request.memory_bytes == 0 ? kDefaultMemoryBytes : request.memory_bytes;
  VPVM_RETURN_IF_ERROR(CheckMemory(config.memory_bytes));

  config.disks = request.disks.value_or(std::vector<DiskConfig>{{"", kDefaultDiskBytes}});
  for (const DiskConfig& disk : config.disks) {
    if (!disk.name.empty()) VPVM_RETURN_IF_ERROR(CheckName(disk.name, "disk name"));
    VPVM_RETURN_IF_ERROR(CheckDiskSize(disk.size_bytes));
    if (!disk.name.empty() &&
        std::count_if(config.disks.begin(), config.disks.end(),
                      [&](const DiskConfig& d) { return d.name == disk.name; }) > 1) {
      return absl::InvalidArgumentError(absl::StrCat("two disks are named \"", disk.name, "\""));
    }
  }
  for (DiskConfig& disk : config.disks) {
    if (disk.name.empty()) {
      disk.name = FirstFreeName("disk", config.disks);
    }
  }

  for (const NetworkAttachmentConfig& requested : request.networks) {
    if (requested.network.empty()) {
      return absl::InvalidArgumentError("a network attachment names no network");
    }
    VPVM_RETURN_IF_ERROR(CheckName(requested.network, "network name"));
    NetworkAttachmentConfig attachment;
    attachment.network = requested.network;
    if (requested.mac_address.empty()) {
      VPVM_ASSIGN_OR_RETURN(attachment.mac_address, NewMacAddress(config.networks));
    } else {
      VPVM_ASSIGN_OR_RETURN(attachment.mac_address, NormalizeMacAddress(requested.mac_address));
    }
    for (const NetworkAttachmentConfig& other : config.networks) {
      if (other.mac_address == attachment.mac_address) {
        return absl::InvalidArgumentError(
            absl::StrCat("two network attachments have MAC address ", attachment.mac_address));
      }
    }
    attachment.name = FirstFreeName("net", config.networks);
    config.networks.push_back(std::move(attachment));
  }

  VPVM_ASSIGN_OR_RETURN(config.id, NewId());
  config.created_at = clock_.Now();
  return config;
}

// ---------------------------------------------------------------------------------------------
// Configuration

absl::StatusOr<VmInfo> VmManager::Update(absl::string_view vm, const VmEdit& edit) {
  if (edit.name) VPVM_RETURN_IF_ERROR(CheckVmName(*edit.name));
  if (edit.description) VPVM_RETURN_IF_ERROR(CheckDescription(*edit.description));
  if (edit.cpus) VPVM_RETURN_IF_ERROR(CheckCpus(*edit.cpus));
  if (edit.memory_bytes) VPVM_RETURN_IF_ERROR(CheckMemory(*edit.memory_bytes));
  const bool hardware = edit.cpus.has_value() || edit.memory_bytes.has_value();
  const bool stopped_only = hardware || edit.name.has_value();
  absl::string_view what = edit.name
                               ? (hardware ? "rename it or change its CPUs or memory" : "rename it")
                               : (hardware ? "change its CPUs or memory" : "edit it");
  VPVM_ASSIGN_OR_RETURN(Held held,
                        Hold(vm, stopped_only ? Needs::kStopped : Needs::kNotSuspended, what));

  VmConfig updated = held.config;
  if (edit.description) updated.description = *edit.description;
  if (edit.cpus) updated.cpus = static_cast<int>(*edit.cpus);
  if (edit.memory_bytes) updated.memory_bytes = *edit.memory_bytes;
  const std::string old_name = held.config.name;
  const bool renamed = edit.name.has_value() && *edit.name != old_name;
  if (renamed) {
    updated.name = *edit.name;
    VPVM_RETURN_IF_ERROR(ReserveName(updated.name));
  }
  if (absl::Status committed = Commit(held, updated); !committed.ok()) {
    if (renamed) ReleaseName(updated.name);
    return committed;
  }
  if (renamed) {
    {
      std::unique_lock registry(registry_mu_);
      reserved_names_.erase(updated.name);
      id_by_name_.erase(old_name);
      id_by_name_[updated.name] = updated.id;
    }
    Log()->info("VM '{}' ({}) renamed to '{}'", old_name, updated.id, updated.name);
    if (options_.on_rename) {
      if (absl::Status told = options_.on_rename(updated.id, updated.name); !told.ok()) {
        Log()->warn("VM '{}' ({}): the tokens that list it still show its old name: {}",
                    updated.name, updated.id, told.message());
      }
    }
  }
  Log()->info("VM '{}' ({}) updated", updated.name, updated.id);
  return Describe(*held.vm);
}

// ---------------------------------------------------------------------------------------------
// Disks

absl::StatusOr<DiskConfig> VmManager::AddDisk(absl::string_view vm, DiskConfig disk) {
  if (!disk.name.empty()) VPVM_RETURN_IF_ERROR(CheckName(disk.name, "disk name"));
  VPVM_RETURN_IF_ERROR(CheckDiskSize(disk.size_bytes));
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "add a disk"));
  VmConfig updated = held.config;
  if (disk.name.empty()) {
    disk.name = FirstFreeName("disk", updated.disks);
  } else if (HasNamed(updated.disks, disk.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("VM \"", updated.name, "\" has a disk named \"", disk.name, "\" already"));
  }
  const std::string path = DiskPath(FolderOf(updated.id), disk.name);
  VPVM_RETURN_IF_ERROR(qemu_img_.Create(path, disk.size_bytes));
  updated.disks.push_back(disk);
  if (absl::Status committed = Commit(held, std::move(updated)); !committed.ok()) {
    ::unlink(path.c_str());
    return committed;
  }
  Log()->info("VM '{}' ({}): disk '{}' of {} added", held.config.name, held.config.id, disk.name,
              FormatBytes(disk.size_bytes));
  return disk;
}

absl::StatusOr<DiskConfig> VmManager::ResizeDisk(absl::string_view vm, absl::string_view disk,
                                                 uint64_t size_bytes) {
  VPVM_RETURN_IF_ERROR(CheckDiskSize(size_bytes));
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "resize a disk"));
  VmConfig updated = held.config;
  auto it = FindNamed(updated.disks, disk);
  if (it == updated.disks.end()) {
    return absl::NotFoundError(
        absl::StrCat("VM \"", updated.name, "\" has no disk \"", disk, "\""));
  }
  const std::string path = DiskPath(FolderOf(updated.id), it->name);
  VPVM_ASSIGN_OR_RETURN(qemu::ImageInfo image, qemu_img_.Info(path));
  if (size_bytes < image.virtual_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "disk \"", it->name, "\" of VM \"", updated.name, "\" is ", FormatBytes(image.virtual_size),
        "; disks grow but never shrink (asked for ", FormatBytes(size_bytes), ")"));
  }
  if (size_bytes > image.virtual_size) VPVM_RETURN_IF_ERROR(qemu_img_.Resize(path, size_bytes));
  it->size_bytes = size_bytes;
  DiskConfig resized = *it;
  if (absl::Status committed = Commit(held, std::move(updated)); !committed.ok()) {
    return absl::Status(
        committed.code(),
        absl::StrCat("disk \"", resized.name, "\" grew to ", FormatBytes(size_bytes),
                     ", but the VM's record could not be saved: ", committed.message()));
  }
  Log()->info("VM '{}' ({}): disk '{}' resized to {}", held.config.name, held.config.id,
              resized.name, FormatBytes(size_bytes));
  return resized;
}

absl::Status VmManager::RemoveDisk(absl::string_view vm, absl::string_view disk) {
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "remove a disk"));
  VmConfig updated = held.config;
  auto it = FindNamed(updated.disks, disk);
  if (it == updated.disks.end()) {
    return absl::NotFoundError(
        absl::StrCat("VM \"", updated.name, "\" has no disk \"", disk, "\""));
  }
  const std::string name = it->name;
  const std::string path = DiskPath(FolderOf(updated.id), name);
  const std::string aside = absl::StrCat(path, ".removed");
  updated.disks.erase(it);
  // Moved aside first, so that the image is back in place when the record cannot be saved.
  VPVM_RETURN_IF_ERROR(RenameFile(path, aside));
  if (absl::Status committed = Commit(held, std::move(updated)); !committed.ok()) {
    RenameFile(aside, path).IgnoreError();
    return committed;
  }
  ::unlink(aside.c_str());
  Log()->info("VM '{}' ({}): disk '{}' removed", held.config.name, held.config.id, name);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Network attachments

absl::StatusOr<NetworkAttachmentConfig> VmManager::AttachNetwork(absl::string_view vm,
                                                                 absl::string_view network,
                                                                 absl::string_view mac_address) {
  if (network.empty()) return absl::InvalidArgumentError("the attachment names no network");
  VPVM_RETURN_IF_ERROR(CheckName(network, "network name"));
  NetworkAttachmentConfig attachment;
  attachment.network = std::string(network);
  if (!mac_address.empty()) {
    VPVM_ASSIGN_OR_RETURN(attachment.mac_address, NormalizeMacAddress(mac_address));
  }
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "attach a network"));
  VmConfig updated = held.config;
  if (attachment.mac_address.empty()) {
    VPVM_ASSIGN_OR_RETURN(attachment.mac_address, NewMacAddress(updated.networks));
  } else {
    for (const NetworkAttachmentConfig& other : updated.networks) {
      if (other.mac_address == attachment.mac_address) {
        return absl::AlreadyExistsError(absl::StrCat("VM \"", updated.name,
                                                     "\" has an interface with MAC address ",
                                                     attachment.mac_address, " already"));
      }
    }
  }
  attachment.name = FirstFreeName("net", updated.networks);
  updated.networks.push_back(attachment);
  VPVM_RETURN_IF_ERROR(Commit(held, std::move(updated)));
  Log()->info("VM '{}' ({}): {} attached to network '{}'", held.config.name, held.config.id,
              attachment.name, attachment.network);
  return attachment;
}

absl::Status VmManager::DetachNetwork(absl::string_view vm, absl::string_view attachment) {
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kStopped, "detach a network"));
  VmConfig updated = held.config;
  auto it = FindNamed(updated.networks, attachment);
  if (it == updated.networks.end()) {
    return absl::NotFoundError(
        absl::StrCat("VM \"", updated.name, "\" has no network attachment \"", attachment, "\""));
  }
  updated.networks.erase(it);
  VPVM_RETURN_IF_ERROR(Commit(held, std::move(updated)));
  Log()->info("VM '{}' ({}): {} detached", held.config.name, held.config.id, attachment);
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
