#include "daemon/access_rules.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/proto_convert.h"
#include "vpvm/v1/access.pb.h"
#include "vpvm/v1/host_service.grpc.pb.h"
#include "vpvm/v1/session_service.grpc.pb.h"
#include "vpvm/v1/system_service.grpc.pb.h"
#include "vpvm/v1/token_service.grpc.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::daemon {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

absl::StatusOr<auth::AccessLevel> Level(const MethodDescriptor& m, v1::AccessLevel level) {
  absl::StatusOr<auth::AccessLevel> known = FromProto(level);
  if (!known.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(m.full_name(), " declares no level"));
  }
  return known;
}

absl::StatusOr<auth::ExtendedPermission> Permission(const MethodDescriptor& m,
                                                    v1::ExtendedPermission permission) {
  absl::StatusOr<auth::ExtendedPermission> known = FromProto(permission);
  if (!known.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(m.full_name(), " declares no permission"));
  }
  return known;
}

absl::StatusOr<MethodRule> RuleOf(const MethodDescriptor& m) {
  const v1::AccessRule& declared = m.options().GetExtension(v1::access);
  MethodRule rule;
  rule.method = &m;
  using Kind = v1::AccessRule;
  switch (declared.kind()) {
    case Kind::KIND_PUBLIC:
      rule.requirement = auth::AccessRequirement::Public();
      break;
    case Kind::KIND_SELF:
      rule.requirement = auth::AccessRequirement::Self();
      break;
    case Kind::KIND_VM: {
      VPVM_ASSIGN_OR_RETURN(auth::AccessLevel level, Level(m, declared.level()));
      rule.requirement = auth::AccessRequirement::OnVm(level);
      break;
    }
    case Kind::KIND_VM_LIST: {
      VPVM_ASSIGN_OR_RETURN(auth::AccessLevel level, Level(m, declared.level()));
      rule.requirement = auth::AccessRequirement::OnVmList(level);
      break;
    }
    case Kind::KIND_ALL_VMS: {
      VPVM_ASSIGN_OR_RETURN(auth::AccessLevel level, Level(m, declared.level()));
      rule.requirement = auth::AccessRequirement::OnAllVms(level);
      break;
    }
    case Kind::KIND_EXTENDED: {
      VPVM_ASSIGN_OR_RETURN(auth::ExtendedPermission p, Permission(m, declared.permission()));
      rule.requirement = auth::AccessRequirement::Extended(p);
      break;
    }
    case Kind::KIND_MASTER:
      rule.requirement = auth::AccessRequirement::Master();
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(m.full_name(), " declares no access rule"));
  }
  if (!declared.vm_field().empty()) {
    rule.vm_field = m.input_type()->FindFieldByName(declared.vm_field());
    if (rule.vm_field == nullptr || rule.vm_field->type() != FieldDescriptor::TYPE_STRING ||
        rule.vm_field->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(
          m.full_name(), " names a VM field that is not a string: ", declared.vm_field()));
    }
  }
  if (declared.kind() == Kind::KIND_VM && rule.vm_field == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(m.full_name(), " names no VM field"));
  }
  return rule;
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> ApiServices() {
  return {
      v1::GetVmRequest::descriptor()->file()->FindServiceByName("VmService"),
      v1::ListTemplatesRequest::descriptor()->file()->FindServiceByName("HostService"),
      v1::CreateTokenRequest::descriptor()->file()->FindServiceByName("TokenService"),
      v1::SignInRequest::descriptor()->file()->FindServiceByName("SessionService"),
      v1::GetVersionRequest::descriptor()->file()->FindServiceByName("SystemService"),
  };
}

absl::StatusOr<AccessRules> AccessRules::Load() {
  AccessRules rules;
  for (const google::protobuf::ServiceDescriptor* service : ApiServices()) {
    if (service == nullptr) return absl::InternalError("a vpvm.v1 service has no descriptor");
    for (int i = 0; i < service->method_count(); ++i) {
      VPVM_ASSIGN_OR_RETURN(MethodRule rule, RuleOf(*service->method(i)));
      rules.rules_.emplace(service->method(i)->full_name(), rule);
    }
  }
  return rules;
}

const MethodRule* AccessRules::Find(absl::string_view full_method_name) const {
  auto it = rules_.find(full_method_name);
  return it == rules_.end() ? nullptr : &it->second;
}

}  // namespace vpvm::daemon
