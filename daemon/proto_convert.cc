#include "daemon/proto_convert.h"

#include "absl/strings/str_cat.h"

namespace vpvm::daemon {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(rest));
  return out;
}

absl::StatusOr<absl::Time> FromTimestamp(const google::protobuf::Timestamp& t) {
  // The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    return absl::InvalidArgumentError("the time is out of range");
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

v1::AccessLevel ToProto(auth::AccessLevel level) {
  return level == auth::AccessLevel::kAdmin ? v1::ACCESS_LEVEL_ADMIN : v1::ACCESS_LEVEL_OPERATOR;
}

absl::StatusOr<auth::AccessLevel> FromProto(v1::AccessLevel level) {
  switch (level) {
    case v1::ACCESS_LEVEL_OPERATOR:
      return auth::AccessLevel::kOperator;
    case v1::ACCESS_LEVEL_ADMIN:
      return auth::AccessLevel::kAdmin;
    default:
      return absl::InvalidArgumentError("access_level must be operator or admin");
  }
}

v1::TokenStatus ToProto(auth::TokenStatus status) {
  switch (status) {
    case auth::TokenStatus::kActive:
      return v1::TOKEN_STATUS_ACTIVE;
    case auth::TokenStatus::kDisabled:
      return v1::TOKEN_STATUS_DISABLED;
    case auth::TokenStatus::kExpired:
      return v1::TOKEN_STATUS_EXPIRED;
  }
  return v1::TOKEN_STATUS_UNSPECIFIED;
}

void ToProto(const auth::ExtendedPermissions& permissions,
             google::protobuf::RepeatedField<int>* out) {
  if (permissions.templates) out->Add(v1::EXTENDED_PERMISSION_TEMPLATES);
  if (permissions.networks) out->Add(v1::EXTENDED_PERMISSION_NETWORKS);
  if (permissions.images) out->Add(v1::EXTENDED_PERMISSION_IMAGES);
}

absl::StatusOr<auth::ExtendedPermission> FromProto(v1::ExtendedPermission permission) {
  switch (permission) {
    case v1::EXTENDED_PERMISSION_TEMPLATES:
      return auth::ExtendedPermission::kTemplates;
    case v1::EXTENDED_PERMISSION_NETWORKS:
      return auth::ExtendedPermission::kNetworks;
    case v1::EXTENDED_PERMISSION_IMAGES:
      return auth::ExtendedPermission::kImages;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown extended permission ", static_cast<int>(permission),
                       "; the permissions are templates, networks and images"));
  }
}

absl::StatusOr<auth::ExtendedPermissions> FromProto(
    const google::protobuf::RepeatedField<int>& permissions) {
  auth::ExtendedPermissions out;
  for (int p : permissions) {
    absl::StatusOr<auth::ExtendedPermission> permission =
        FromProto(static_cast<v1::ExtendedPermission>(p));
    if (!permission.ok()) return permission.status();
    switch (*permission) {
      case auth::ExtendedPermission::kTemplates:
        out.templates = true;
        break;
      case auth::ExtendedPermission::kNetworks:
        out.networks = true;
        break;
      case auth::ExtendedPermission::kImages:
        out.images = true;
        break;
    }
  }
  return out;
}

void ToProto(const auth::VmScope& scope, v1::VmScope* out) {
  out->set_all_vms(scope.all_vms);
  for (const auth::VmRef& vm : scope.vms) {
    v1::VmRef* ref = out->add_vms();
    ref->set_id(vm.id);
    ref->set_name(vm.name);
  }
}

v1::Token TokenView(const auth::Token& token, absl::Time now, const VmDirectory& vms,
                    const auth::LastUsedRecorder& recorder) {
  v1::Token out;
  out.set_token_id(token.id);
  out.set_label(token.label);
  out.set_access_level(ToProto(token.access_level));
  ToProto(token.vm_scope, out.mutable_vm_scope());
  ToProto(token.extended, out.mutable_extended_permissions());
  if (token.expires_at.has_value()) {
    *out.mutable_expire_time() = ToTimestamp(*token.expires_at);
    absl::Duration remainder;
    out.set_days_until_expiry(static_cast<int32_t>(
        absl::IDivDuration(*token.expires_at - now, absl::Hours(24), &remainder)));
  }
  out.set_status(ToProto(token.StatusAt(now)));
  out.set_disabled(token.disabled);
  *out.mutable_create_time() = ToTimestamp(token.created_at);

  std::optional<absl::Time> used_at = token.last_used_at;
  std::string used_from = token.last_used_address;
  if (std::optional<auth::LastUse> pending = recorder.Pending(token.id);
      pending.has_value() && (!used_at.has_value() || pending->at > *used_at)) {
    used_at = pending->at;
    used_from = pending->client_address;
  }
  if (used_at.has_value()) *out.mutable_last_used_time() = ToTimestamp(*used_at);
  out.set_last_used_address(used_from);

  out.set_two_factor_enabled(token.two_factor_enabled);
  out.set_is_master(token.is_master);
  for (const auth::VmRef& vm : token.vm_scope.vms) {
    if (!vms.Exists(vm.id)) out.add_missing_vm_ids(vm.id);
  }
  return out;
}

}  // namespace vpvm::daemon
