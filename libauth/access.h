#pragma once

// The one access decision of vpvm (DESIGN.md §4): given who calls, what the action declares it
// needs and which VM it names, answer allow, unauthenticated, not found or denied. It knows
// nothing of gRPC or HTTP; the daemon's gate maps the verdict onto its transport.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libauth/token.h"

namespace vpvm::auth {

// What an action needs; mirrors the access option that every RPC carries in the proto.
struct AccessRequirement {
  enum class Kind {
    kPublic,    // no token needed
    kSelf,      // any valid token, acting on itself
    kVm,        // `level` on the VM the request names
    kVmList,    // `level` on the VMs the token reaches; never refused for scope, the answer is
                // filtered (CanSeeVm)
    kAllVms,    // `level` on All VMs; a VM that the request names and the token does not reach
                // is not found, before the level is checked
    kExtended,  // `permission` (held only by Admin tokens on All VMs)
    kMaster,    // the master token only
  };
  Kind kind = Kind::kMaster;
  AccessLevel level = AccessLevel::kOperator;
  ExtendedPermission permission = ExtendedPermission::kTemplates;

  static AccessRequirement Public() { return {Kind::kPublic}; }
  static AccessRequirement Self() { return {Kind::kSelf}; }
  static AccessRequirement OnVm(AccessLevel level) { return {Kind::kVm, level}; }
  static AccessRequirement OnVmList(AccessLevel level) { return {Kind::kVmList, level}; }
  static AccessRequirement OnAllVms(AccessLevel level) { return {Kind::kAllVms, level}; }
  static AccessRequirement Extended(ExtendedPermission p) {
    return {Kind::kExtended, AccessLevel::kAdmin, p};
  }
  static AccessRequirement Master() { return {Kind::kMaster}; }
};

// The VM an action names: as the caller spelled it (id or name), and its id when it exists.
struct VmTarget {
  std::string as_named;
  std::optional<std::string> id;
};

struct AccessDecision {
  enum class Verdict { kAllow, kUnauthenticated, kNotFound, kPermissionDenied };
  Verdict verdict = Verdict::kAllow;
  std::string message;  // for the caller; empty on allow

  bool allowed() const { return verdict == Verdict::kAllow; }
  // OK, UNAUTHENTICATED, NOT_FOUND or PERMISSION_DENIED with `message`.
  absl::Status ToStatus() const;
};

// The answer for a VM that does not exist, and byte for byte the answer for a VM outside the
// caller's scope: handlers use it too, so that the two can never be told apart.
std::string VmNotFoundMessage(absl::string_view as_named);

// `caller` is null when no token was presented or the presented secret did not verify; a
// verified token that is disabled or expired is passed in, and refused with its reason.
// `vm` is required by kVm and optional for kAllVms; other kinds ignore it.
AccessDecision Decide(const Token* caller, const AccessRequirement& need,
                      const std::optional<VmTarget>& vm, absl::Time now);

// Whether `caller` may see `vm_id` in a list (lists are filtered, never refused).
bool CanSeeVm(const Token& caller, absl::string_view vm_id);

}  // namespace vpvm::auth
