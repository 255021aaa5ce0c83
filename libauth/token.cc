#include "libauth/token.h"

#include <algorithm>

namespace vpvm::auth {

bool ExtendedPermissions::Has(ExtendedPermission p) const {
  switch (p) {
    case ExtendedPermission::kTemplates:
      return templates;
    case ExtendedPermission::kNetworks:
      return networks;
    case ExtendedPermission::kImages:
      return images;
  }
  return false;
}

bool VmScope::Contains(absl::string_view vm_id) const {
  if (all_vms) return true;
  return std::any_of(vms.begin(), vms.end(), [&](const VmRef& vm) { return vm.id == vm_id; });
}

TokenStatus Token::StatusAt(absl::Time now) const {
  if (disabled) return TokenStatus::kDisabled;
  if (expires_at.has_value() && *expires_at <= now) return TokenStatus::kExpired;
  return TokenStatus::kActive;
}

absl::string_view AccessLevelName(AccessLevel level) {
  return level == AccessLevel::kAdmin ? "admin" : "operator";
}

absl::string_view TokenStatusName(TokenStatus status) {
  switch (status) {
    case TokenStatus::kActive:
      return "active";
    case TokenStatus::kDisabled:
      return "disabled";
    case TokenStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

absl::string_view ExtendedPermissionName(ExtendedPermission p) {
  switch (p) {
    case ExtendedPermission::kTemplates:
      return "templates";
    case ExtendedPermission::kNetworks:
      return "networks";
    case ExtendedPermission::kImages:
      return "images";
  }
  return "unknown";
}

}  // namespace vpvm::auth
