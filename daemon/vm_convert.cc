#include "daemon/vm_convert.h"

#include "absl/strings/str_cat.h"
#include "daemon/proto_convert.h"

namespace vpvm::daemon {

v1::VmState ToProto(qemu::VmState state) {
  switch (state) {
    case qemu::VmState::kStopped:
      return v1::VM_STATE_STOPPED;
    case qemu::VmState::kStarting:
      return v1::VM_STATE_STARTING;
    case qemu::VmState::kRunning:
      return v1::VM_STATE_RUNNING;
    case qemu::VmState::kPaused:
      return v1::VM_STATE_PAUSED;
    case qemu::VmState::kSuspended:
      return v1::VM_STATE_SUSPENDED;
    case qemu::VmState::kStopping:
      return v1::VM_STATE_STOPPING;
    case qemu::VmState::kError:
      return v1::VM_STATE_ERROR;
  }
  return v1::VM_STATE_UNSPECIFIED;
}

absl::StatusOr<std::optional<qemu::VmState>> VmStateFromProto(v1::VmState state) {
  switch (state) {
    case v1::VM_STATE_UNSPECIFIED:
      return std::nullopt;
    case v1::VM_STATE_STOPPED:
      return qemu::VmState::kStopped;
    case v1::VM_STATE_STARTING:
      return qemu::VmState::kStarting;
    case v1::VM_STATE_RUNNING:
      return qemu::VmState::kRunning;
    case v1::VM_STATE_PAUSED:
      return qemu::VmState::kPaused;
    case v1::VM_STATE_SUSPENDED:
      return qemu::VmState::kSuspended;
    case v1::VM_STATE_STOPPING:
      return qemu::VmState::kStopping;
    case v1::VM_STATE_ERROR:
      return qemu::VmState::kError;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown VM state ", state));
  }
}

v1::Disk ToProto(const DiskConfig& disk) {
  v1::Disk out;
  out.set_name(disk.name);
  out.set_size_bytes(disk.size_bytes);
  return out;
}

v1::NetworkAttachment ToProto(const NetworkAttachmentConfig& attachment) {
  v1::NetworkAttachment out;
  out.set_name(attachment.name);
  out.set_network(attachment.network);
  out.set_mac_address(attachment.mac_address);
  return out;
}

v1::Snapshot ToProto(const SnapshotRecord& snapshot) {
  v1::Snapshot out;
  out.set_name(snapshot.name);
  out.set_description(snapshot.description);
  *out.mutable_create_time() = ToTimestamp(snapshot.created_at);
  return out;
}

v1::Vm ToProto(const VmInfo& vm) {
  v1::Vm out;
  out.set_id(vm.config.id);
  out.set_name(vm.config.name);
  v1::VmConfig* config = out.mutable_config();
  config->set_description(vm.config.description);
  config->set_cpus(static_cast<uint32_t>(vm.config.cpus));
  config->set_memory_bytes(vm.config.memory_bytes);
  for (const DiskConfig& disk : vm.config.disks) *config->add_disks() = ToProto(disk);
  for (const NetworkAttachmentConfig& attachment : vm.config.networks) {
    *config->add_network_attachments() = ToProto(attachment);
  }
  v1::VmStatus* status = out.mutable_status();
  status->set_state(ToProto(vm.state));
  *status->mutable_state_change_time() = ToTimestamp(vm.state_changed_at);
  status->set_error_message(vm.error_message);
  status->set_accelerator(vm.accelerator);
  *out.mutable_create_time() = ToTimestamp(vm.config.created_at);
  return out;
}

absl::StatusOr<NewVm> FromProto(const v1::CreateVmRequest& request) {
  NewVm out;
  out.name = request.name();
  out.description = request.description();
  out.cpus = request.cpus();
  out.memory_bytes = request.memory_bytes();
  if (request.disks_size() > 0) {
    out.disks.emplace();
    for (const v1::Disk& disk : request.disks()) {
      if (disk.size_bytes() == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("disk ", out.disks->size() + 1, " of the request has no size_bytes"));
      }
      out.disks->push_back({disk.name(), disk.size_bytes()});
    }
  }
  for (const v1::NetworkAttachment& attachment : request.network_attachments()) {
    out.networks.push_back({"", attachment.network(), attachment.mac_address()});
  }
  return out;
}

absl::StatusOr<VmEdit> FromProto(const v1::UpdateVmRequest& request) {
  if (request.update_mask().paths_size() == 0) {
    return absl::InvalidArgumentError(
        "the update mask is empty; name the fields to change (name, description, cpus, "
        "memory_bytes)");
  }
  VmEdit edit;
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "name") {
      edit.name = request.name();
    } else if (path == "description") {
      edit.description = request.description();
    } else if (path == "cpus") {
      edit.cpus = request.cpus();
    } else if (path == "memory_bytes") {
      edit.memory_bytes = request.memory_bytes();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("the update mask names unknown field \"", path,
                       "\"; the fields are name, description, cpus and memory_bytes"));
    }
  }
  return edit;
}

absl::StatusOr<absl::Duration> FromProto(const google::protobuf::Duration& duration) {
  if (duration.nanos() <= -1'000'000'000 || duration.nanos() >= 1'000'000'000 ||
      (duration.seconds() > 0 && duration.nanos() < 0) ||
      (duration.seconds() < 0 && duration.nanos() > 0)) {
    return absl::InvalidArgumentError("the duration is malformed");
  }
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

}  // namespace vpvm::daemon
