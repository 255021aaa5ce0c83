#pragma once

// Conversions between the VM manager's types and the vpvm.v1 VmService messages.

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/qemu/vm_state.h"
#include "daemon/vm_manager.h"
#include "google/protobuf/duration.pb.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::daemon {

v1::VmState ToProto(qemu::VmState state);
// VM_STATE_UNSPECIFIED is nullopt (no state asked for); an unknown value is InvalidArgument.
absl::StatusOr<std::optional<qemu::VmState>> VmStateFromProto(v1::VmState state);

v1::Vm ToProto(const VmInfo& vm);
v1::Disk ToProto(const DiskConfig& disk);
v1::NetworkAttachment ToProto(const NetworkAttachmentConfig& attachment);
v1::Snapshot ToProto(const SnapshotRecord& snapshot);

absl::StatusOr<NewVm> FromProto(const v1::CreateVmRequest& request);
// The fields the update mask names; an empty mask or an unknown field is InvalidArgument.
absl::StatusOr<VmEdit> FromProto(const v1::UpdateVmRequest& request);
absl::StatusOr<absl::Duration> FromProto(const google::protobuf::Duration& duration);

}  // namespace vpvm::daemon
