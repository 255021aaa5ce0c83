#include "daemon/vm_handlers.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/vm_convert.h"
#include "libauth/access.h"

namespace vpvm::daemon {
namespace {

constexpr char kService[] = "vpvm.v1.VmService.";
constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 1000;

// The id of the VM that the gate resolved for this call.
absl::StatusOr<std::string> Target(const CallContext& context) {
  if (!context.vm.has_value() || !context.vm->id.has_value()) {
    return absl::NotFoundError(
        auth::VmNotFoundMessage(context.vm.has_value() ? context.vm->as_named : ""));
  }
  return *context.vm->id;
}

// The manager reports a VM that vanished after the gate by the id it was given; the caller
// gets the gate's answer for the VM as it named it.
absl::Status AsNamed(const CallContext& context, absl::Status status) {
  if (absl::IsNotFound(status) && context.vm.has_value() && context.vm->id.has_value() &&
      status.message() == auth::VmNotFoundMessage(*context.vm->id)) {
    return absl::NotFoundError(auth::VmNotFoundMessage(context.vm->as_named));
  }
  return status;
}

template <typename T, typename Out>
absl::Status Answer(const CallContext& context, absl::StatusOr<T> result, Out* out) {
  if (!result.ok()) return AsNamed(context, result.status());
  *out = ToProto(*result);
  return absl::OkStatus();
}

absl::Status Required(absl::string_view value, absl::string_view field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("the request has no ", field));
  return absl::OkStatus();
}

absl::StatusOr<int32_t> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

// Page tokens are opaque to clients: a kind and a position, base64 encoded.
std::string PageToken(absl::string_view kind, absl::string_view position) {
  return absl::WebSafeBase64Escape(absl::StrCat(kind, ":", position));
}

absl::StatusOr<std::string> PagePosition(absl::string_view kind, absl::string_view token) {
  if (token.empty()) return std::string();
  std::string decoded;
  const std::string prefix = absl::StrCat(kind, ":");
  if (!absl::WebSafeBase64Unescape(token, &decoded) || !absl::StartsWith(decoded, prefix) ||
      decoded.size() == prefix.size()) {
    return absl::InvalidArgumentError(
        "invalid page_token; pass the next_page_token of the previous answer");
  }
  return decoded.substr(prefix.size());
}

bool Matches(const VmInfo& vm, const std::string& filter_lower,
             const std::optional<qemu::VmState>& state) {
  if (state.has_value() && vm.state != *state) return false;
  if (filter_lower.empty()) return true;
  return absl::StrContains(absl::AsciiStrToLower(vm.config.name), filter_lower) ||
         absl::StrContains(absl::AsciiStrToLower(vm.config.id), filter_lower);
}

}  // namespace

void VmHandlers::Register(Dispatcher& d) {
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  auto name = [](absl::string_view method) { return absl::StrCat(kService, method); };
  d.Handle<v1::ListVmsRequest, v1::ListVmsResponse>(name("ListVms"),
                                                    std::bind(&VmHandlers::List, this, _1, _2, _3));
  d.Handle<v1::GetVmRequest, v1::Vm>(name("GetVm"), std::bind(&VmHandlers::Get, this, _1, _2, _3));
  d.Handle<v1::CreateVmRequest, v1::Vm>(name("CreateVm"),
                                        std::bind(&VmHandlers::Create, this, _1, _2, _3));
  d.Handle<v1::DeleteVmRequest, v1::DeleteVmResponse>(
      name("DeleteVm"), std::bind(&VmHandlers::Delete, this, _1, _2, _3));
  d.Handle<v1::StartVmRequest, v1::Vm>(name("StartVm"),
                                       std::bind(&VmHandlers::Start, this, _1, _2, _3));
  d.Handle<v1::StopVmRequest, v1::Vm>(name("StopVm"),
                                      std::bind(&VmHandlers::Stop, this, _1, _2, _3));
  d.Handle<v1::PauseVmRequest, v1::Vm>(name("PauseVm"),
                                       std::bind(&VmHandlers::Pause, this, _1, _2, _3));
  d.Handle<v1::ResumeVmRequest, v1::Vm>(name("ResumeVm"),
                                        std::bind(&VmHandlers::Resume, this, _1, _2, _3));
  d.Handle<v1::RestartVmRequest, v1::Vm>(name("RestartVm"),
                                         std::bind(&VmHandlers::Restart, this, _1, _2, _3));
  d.Handle<v1::SuspendVmRequest, v1::Vm>(name("SuspendVm"),
                                         std::bind(&VmHandlers::Suspend, this, _1, _2, _3));
  d.Handle<v1::UpdateVmRequest, v1::Vm>(name("UpdateVm"),
                                        std::bind(&VmHandlers::Update, this, _1, _2, _3));
  d.Handle<v1::AddDiskRequest, v1::Disk>(name("AddDisk"),
                                         std::bind(&VmHandlers::AddDisk, this, _1, _2, _3));
  d.Handle<v1::ResizeDiskRequest, v1::Disk>(name("ResizeDisk"),
                                            std::bind(&VmHandlers::ResizeDisk, this, _1, _2, _3));
  d.Handle<v1::RemoveDiskRequest, v1::RemoveDiskResponse>(
      name("RemoveDisk"), std::bind(&VmHandlers::RemoveDisk, this, _1, _2, _3));
  d.Handle<v1::AttachNetworkRequest, v1::NetworkAttachment>(
      name("AttachNetwork"), std::bind(&VmHandlers::AttachNetwork, this, _1, _2, _3));
  d.Handle<v1::DetachNetworkRequest, v1::DetachNetworkResponse>(
      name("DetachNetwork"), std::bind(&VmHandlers::DetachNetwork, this, _1, _2, _3));
  d.Handle<v1::ListSnapshotsRequest, v1::ListSnapshotsResponse>(
      name("ListSnapshots"), std::bind(&VmHandlers::ListSnapshots, this, _1, _2, _3));
  d.Handle<v1::CreateSnapshotRequest, v1::Snapshot>(
      name("CreateSnapshot"), std::bind(&VmHandlers::CreateSnapshot, this, _1, _2, _3));
  d.Handle<v1::RestoreSnapshotRequest, v1::Vm>(
      name("RestoreSnapshot"), std::bind(&VmHandlers::RestoreSnapshot, this, _1, _2, _3));
  d.Handle<v1::DeleteSnapshotRequest, v1::DeleteSnapshotResponse>(
      name("DeleteSnapshot"), std::bind(&VmHandlers::DeleteSnapshot, this, _1, _2, _3));
}

// ---------------------------------------------------------------------------------------------
// Reading

absl::Status VmHandlers::List(const CallContext& context, const v1::ListVmsRequest& request,
                              v1::ListVmsResponse* response) {
  VPVM_ASSIGN_OR_RETURN(int32_t page_size, PageSize(request.page_size()));
  VPVM_ASSIGN_OR_RETURN(std::string after, PagePosition("vms", request.page_token()));
  VPVM_ASSIGN_OR_RETURN(std::optional<qemu::VmState> state, VmStateFromProto(request.state()));
  const std::string filter = absl::AsciiStrToLower(request.filter());

  int32_t total = 0;
  for (const VmInfo& vm : vms_.List()) {  // by name
    if (!auth::CanSeeVm(*context.caller, vm.config.id) || !Matches(vm, filter, state)) continue;
    ++total;
    if (!after.empty() && vm.config.name <= after) continue;
    if (response->vms_size() < page_size) {
      *response->add_vms() = ToProto(vm);
    } else if (response->next_page_token().empty()) {
      response->set_next_page_token(
          PageToken("vms", response->vms(response->vms_size() - 1).name()));
    }
  }
  response->set_total_size(total);
  return absl::OkStatus();
}

absl::Status VmHandlers::Get(const CallContext& context, const v1::GetVmRequest&,
                             v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Get(id), response);
}

// ---------------------------------------------------------------------------------------------
// Create and delete (the gate admits Admin tokens on All VMs and the master)

absl::Status VmHandlers::Create(const CallContext& context, const v1::CreateVmRequest& request,
                                v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(NewVm vm, FromProto(request));
  return Answer(context, vms_.Create(vm), response);
}

absl::Status VmHandlers::Delete(const CallContext& context, const v1::DeleteVmRequest& request,
                                v1::DeleteVmResponse*) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return AsNamed(context, vms_.Delete(id, request.force()));
}

// ---------------------------------------------------------------------------------------------
// Power

absl::Status VmHandlers::Start(const CallContext& context, const v1::StartVmRequest&,
                               v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Start(id), response);
}

absl::Status VmHandlers::Stop(const CallContext& context, const v1::StopVmRequest& request,
                              v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  if (request.force()) return Answer(context, vms_.Stop(id, qemu::StopMode::kForced), response);
  std::optional<absl::Duration> timeout;
  if (request.has_timeout()) {
    VPVM_ASSIGN_OR_RETURN(timeout, FromProto(request.timeout()));
  }
  return Answer(context, vms_.Stop(id, qemu::StopMode::kGraceful, timeout), response);
}

absl::Status VmHandlers::Pause(const CallContext& context, const v1::PauseVmRequest&,
                               v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Pause(id), response);
}

absl::Status VmHandlers::Resume(const CallContext& context, const v1::ResumeVmRequest&,
                                v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Resume(id), response);
}

absl::Status VmHandlers::Restart(const CallContext& context, const v1::RestartVmRequest&,
                                 v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Restart(id), response);
}

absl::Status VmHandlers::Suspend(const CallContext& context, const v1::SuspendVmRequest&,
                                 v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.Suspend(id), response);
}

// ---------------------------------------------------------------------------------------------
// Configuration, disks, network attachments

absl::Status VmHandlers::Update(const CallContext& context, const v1::UpdateVmRequest& request,
                                v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_ASSIGN_OR_RETURN(VmEdit edit, FromProto(request));
  return Answer(context, vms_.Update(id, edit), response);
}

absl::Status VmHandlers::AddDisk(const CallContext& context, const v1::AddDiskRequest& request,
                                 v1::Disk* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.AddDisk(id, {request.name(), request.size_bytes()}), response);
}

absl::Status VmHandlers::ResizeDisk(const CallContext& context,
                                    const v1::ResizeDiskRequest& request, v1::Disk* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.disk(), "disk"));
  return Answer(context, vms_.ResizeDisk(id, request.disk(), request.size_bytes()), response);
}

absl::Status VmHandlers::RemoveDisk(const CallContext& context,
                                    const v1::RemoveDiskRequest& request, v1::RemoveDiskResponse*) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.disk(), "disk"));
  return AsNamed(context, vms_.RemoveDisk(id, request.disk()));
}

absl::Status VmHandlers::AttachNetwork(const CallContext& context,
                                       const v1::AttachNetworkRequest& request,
                                       v1::NetworkAttachment* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.network(), "network"));
  return Answer(context, vms_.AttachNetwork(id, request.network(), request.mac_address()),
                response);
}

absl::Status VmHandlers::DetachNetwork(const CallContext& context,
                                       const v1::DetachNetworkRequest& request,
                                       v1::DetachNetworkResponse*) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.attachment(), "attachment"));
  return AsNamed(context, vms_.DetachNetwork(id, request.attachment()));
}

// ---------------------------------------------------------------------------------------------
// Snapshots

absl::Status VmHandlers::ListSnapshots(const CallContext& context,
                                       const v1::ListSnapshotsRequest& request,
                                       v1::ListSnapshotsResponse* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_ASSIGN_OR_RETURN(int32_t page_size, PageSize(request.page_size()));
  VPVM_ASSIGN_OR_RETURN(std::string position, PagePosition("snapshots", request.page_token()));
  size_t offset = 0;
  if (!position.empty() && !absl::SimpleAtoi(position, &offset)) {
    return absl::InvalidArgumentError(
        "invalid page_token; pass the next_page_token of the previous answer");
  }
  absl::StatusOr<std::vector<SnapshotRecord>> snapshots = vms_.ListSnapshots(id);
  if (!snapshots.ok()) return AsNamed(context, snapshots.status());
  const size_t end = std::min(snapshots->size(), offset + static_cast<size_t>(page_size));
  for (size_t i = offset; i < end; ++i) *response->add_snapshots() = ToProto((*snapshots)[i]);
  if (end < snapshots->size())
    response->set_next_page_token(PageToken("snapshots", absl::StrCat(end)));
  return absl::OkStatus();
}

absl::Status VmHandlers::CreateSnapshot(const CallContext& context,
                                        const v1::CreateSnapshotRequest& request,
                                        v1::Snapshot* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  return Answer(context, vms_.CreateSnapshot(id, request.name(), request.description()), response);
}

absl::Status VmHandlers::RestoreSnapshot(const CallContext& context,
                                         const v1::RestoreSnapshotRequest& request,
                                         v1::Vm* response) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.snapshot(), "snapshot"));
  return Answer(context, vms_.RestoreSnapshot(id, request.snapshot()), response);
}

absl::Status VmHandlers::DeleteSnapshot(const CallContext& context,
                                        const v1::DeleteSnapshotRequest& request,
                                        v1::DeleteSnapshotResponse*) {
  VPVM_ASSIGN_OR_RETURN(std::string id, Target(context));
  VPVM_RETURN_IF_ERROR(Required(request.snapshot(), "snapshot"));
  return AsNamed(context, vms_.DeleteSnapshot(id, request.snapshot()));
}

}  // namespace vpvm::daemon
