#pragma once

// The token data model shared by the store, the rules, the access decisions and their callers.
// A Token is a plain value: it never holds a secret, only what may be shown to an administrator.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::auth {

// How much a token may do on the VMs in its scope. Users call this the token's "scope"
// (`--scope operator`); the API calls it `access_level`.
enum class AccessLevel { kOperator = 1, kAdmin = 2 };

// Extra rights beyond VMs; only an Admin token scoped to All VMs may hold any of them.
enum class ExtendedPermission { kTemplates, kNetworks, kImages };

struct ExtendedPermissions {
  bool templates = false;
  bool networks = false;
  bool images = false;

  bool Any() const { return templates || networks || images; }
  bool Has(ExtendedPermission p) const;
  friend bool operator==(const ExtendedPermissions&, const ExtendedPermissions&) = default;
};

// A VM as a token remembers it: the immutable id decides, the name is the last one seen, kept so
// that a deleted or renamed VM can still be shown.
struct VmRef {
  std::string id;
  std::string name;
  friend bool operator==(const VmRef&, const VmRef&) = default;
};

// Which VMs a token reaches. `all_vms` is the only way to mean "every VM": an empty list with
// `all_vms == false` reaches nothing and is refused by the rules.
struct VmScope {
  bool all_vms = false;
  std::vector<VmRef> vms;

  static VmScope All() { return VmScope{true, {}}; }
  bool Contains(absl::string_view vm_id) const;
  friend bool operator==(const VmScope&, const VmScope&) = default;
};

enum class TokenStatus { kActive, kDisabled, kExpired };

// The Token ID of the master token.
inline constexpr char kMasterTokenId[] = "master";

struct Token {
  std::string id;  // public, never enough to authenticate
  std::string label;
  bool is_master = false;
  AccessLevel access_level = AccessLevel::kOperator;
  VmScope vm_scope;
  ExtendedPermissions extended;
  std::optional<absl::Time> expires_at;  // nullopt: never
  bool disabled = false;
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> last_used_at;
  std::string last_used_address;
  bool two_factor_enabled = false;

  // Disabled wins over Expired; an expiry equal to `now` has passed.
  TokenStatus StatusAt(absl::Time now) const;
};

absl::string_view AccessLevelName(AccessLevel level);            // "operator", "admin"
absl::string_view TokenStatusName(TokenStatus status);           // "active", "disabled", "expired"
absl::string_view ExtendedPermissionName(ExtendedPermission p);  // "templates", ...

}  // namespace vpvm::auth
