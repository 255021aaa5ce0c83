#pragma once

// VmService: VMs over the API, served by the VmManager. The gate has already decided access and
// resolved the VM a request names; handlers act on that VM's id (never on a name looked up
// again), and answer a VM that vanished meanwhile exactly as the gate answers an unknown one.
// Lists are filtered to the caller's scope and paginated.

#include "daemon/dispatcher.h"
#include "daemon/vm_manager.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::daemon {

class VmHandlers {
 public:
  explicit VmHandlers(VmManager& vms) : vms_(vms) {}

  void Register(Dispatcher& dispatcher);

 private:
  absl::Status List(const CallContext&, const v1::ListVmsRequest&, v1::ListVmsResponse*);
  absl::Status Get(const CallContext&, const v1::GetVmRequest&, v1::Vm*);
  absl::Status Create(const CallContext&, const v1::CreateVmRequest&, v1::Vm*);
  absl::Status Delete(const CallContext&, const v1::DeleteVmRequest&, v1::DeleteVmResponse*);
  absl::Status Start(const CallContext&, const v1::StartVmRequest&, v1::Vm*);
  absl::Status Stop(const CallContext&, const v1::StopVmRequest&, v1::Vm*);
  absl::Status Pause(const CallContext&, const v1::PauseVmRequest&, v1::Vm*);
  absl::Status Resume(const CallContext&, const v1::ResumeVmRequest&, v1::Vm*);
  absl::Status Restart(const CallContext&, const v1::RestartVmRequest&, v1::Vm*);
  absl::Status Suspend(const CallContext&, const v1::SuspendVmRequest&, v1::Vm*);
  absl::Status Update(const CallContext&, const v1::UpdateVmRequest&, v1::Vm*);
  absl::Status AddDisk(const CallContext&, const v1::AddDiskRequest&, v1::Disk*);
  absl::Status ResizeDisk(const CallContext&, const v1::ResizeDiskRequest&, v1::Disk*);
  absl::Status RemoveDisk(const CallContext&, const v1::RemoveDiskRequest&,
                          v1::RemoveDiskResponse*);
  absl::Status AttachNetwork(const CallContext&, const v1::AttachNetworkRequest&,
                             v1::NetworkAttachment*);
  absl::Status DetachNetwork(const CallContext&, const v1::DetachNetworkRequest&,
                             v1::DetachNetworkResponse*);
  absl::Status ListSnapshots(const CallContext&, const v1::ListSnapshotsRequest&,
                             v1::ListSnapshotsResponse*);
  absl::Status CreateSnapshot(const CallContext&, const v1::CreateSnapshotRequest&, v1::Snapshot*);
  absl::Status RestoreSnapshot(const CallContext&, const v1::RestoreSnapshotRequest&, v1::Vm*);
  absl::Status DeleteSnapshot(const CallContext&, const v1::DeleteSnapshotRequest&,
                              v1::DeleteSnapshotResponse*);

  VmManager& vms_;
};

}  // namespace vpvm::daemon
