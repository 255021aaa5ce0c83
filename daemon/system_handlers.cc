#include "daemon/system_handlers.h"

#include "daemon/proto_convert.h"
#include "libauth/access.h"

namespace vpvm::daemon {
namespace {

using auth::AccessLevel;
using auth::AccessRequirement;

template <typename Response>
absl::Status EmptyCatalog(const CallContext&, const google::protobuf::Message&, Response*) {
  // TODO(#3): templates, host networks and images arrive with their catalogs; until then the
  // permission admits to an empty list.
  return absl::OkStatus();
}

}  // namespace

void SystemHandlers::Register(Dispatcher& d) {
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  d.Handle<v1::GetVersionRequest, v1::GetVersionResponse>(
      "vpvm.v1.SystemService.GetVersion", std::bind(&SystemHandlers::GetVersion, this, _1, _2, _3));
  d.Handle<v1::InspectSelfRequest, v1::InspectSelfResponse>(
      "vpvm.v1.SystemService.InspectSelf",
      std::bind(&SystemHandlers::InspectSelf, this, _1, _2, _3));
  d.Handle<v1::ListTemplatesRequest, v1::ListTemplatesResponse>(
      "vpvm.v1.HostService.ListTemplates", EmptyCatalog<v1::ListTemplatesResponse>);
  d.Handle<v1::ListNetworksRequest, v1::ListNetworksResponse>(
      "vpvm.v1.HostService.ListNetworks", EmptyCatalog<v1::ListNetworksResponse>);
  d.Handle<v1::ListImagesRequest, v1::ListImagesResponse>("vpvm.v1.HostService.ListImages",
                                                          EmptyCatalog<v1::ListImagesResponse>);
}

absl::Status SystemHandlers::GetVersion(const CallContext&, const v1::GetVersionRequest&,
                                        v1::GetVersionResponse* response) {
  response->set_daemon_version(VPVM_VERSION);
  response->set_api_version(kApiVersion);
  return absl::OkStatus();
}

absl::Status SystemHandlers::InspectSelf(const CallContext& context, const v1::InspectSelfRequest&,
                                         v1::InspectSelfResponse* response) {
  const auth::Token& self = *context.caller;
  const absl::Time now = clock_.Now();
  response->set_token_id(self.id);
  response->set_label(self.label);
  response->set_access_level(ToProto(self.access_level));
  ToProto(self.vm_scope, response->mutable_vm_scope());
  ToProto(self.extended, response->mutable_extended_permissions());
  if (self.expires_at.has_value()) *response->mutable_expire_time() = ToTimestamp(*self.expires_at);
  response->set_status(ToProto(self.StatusAt(now)));
  response->set_is_master(self.is_master);
  for (const auth::VmRef& vm : self.vm_scope.vms) {
    if (!vms_.Exists(vm.id)) response->add_missing_vm_ids(vm.id);
  }

  // What the gate would answer, asked of the gate's own decision.
  auto allowed = [&](const AccessRequirement& need) {
    return auth::Decide(&self, need, std::nullopt, now).allowed();
  };
  v1::Capabilities* can = response->mutable_capabilities();
  can->set_read_vms(allowed(AccessRequirement::OnVmList(AccessLevel::kOperator)));
  can->set_control_vms(allowed(AccessRequirement::OnVmList(AccessLevel::kOperator)));
  can->set_edit_vms(allowed(AccessRequirement::OnVmList(AccessLevel::kAdmin)));
  can->set_create_vms(allowed(AccessRequirement::OnAllVms(AccessLevel::kAdmin)));
  can->set_delete_vms(allowed(AccessRequirement::OnAllVms(AccessLevel::kAdmin)));
  can->set_manage_tokens(allowed(AccessRequirement::Master()));
  can->set_templates(allowed(AccessRequirement::Extended(auth::ExtendedPermission::kTemplates)));
  can->set_networks(allowed(AccessRequirement::Extended(auth::ExtendedPermission::kNetworks)));
  can->set_images(allowed(AccessRequirement::Extended(auth::ExtendedPermission::kImages)));
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
