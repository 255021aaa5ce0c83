#include "libauth/access.h"

#include "absl/strings/str_cat.h"

namespace vpvm::auth {
namespace {

using Verdict = AccessDecision::Verdict;
using Kind = AccessRequirement::Kind;

AccessDecision Allow() { return {Verdict::kAllow, ""}; }

AccessDecision Deny(std::string message) {
  return {Verdict::kPermissionDenied, std::move(message)};
}

absl::string_view LevelTitle(AccessLevel level) {
  return level == AccessLevel::kAdmin ? "Admin" : "Operator";
}

std::optional<AccessDecision> CheckAuthenticated(const Token* caller, absl::Time now) {
  if (caller == nullptr) {
    return AccessDecision{Verdict::kUnauthenticated, "a valid token is required"};
  }
  switch (caller->StatusAt(now)) {
    case TokenStatus::kActive:
      return std::nullopt;
    case TokenStatus::kDisabled:
      return AccessDecision{Verdict::kUnauthenticated,
                            absl::StrCat("token ", caller->id, " is disabled")};
    case TokenStatus::kExpired:
      return AccessDecision{Verdict::kUnauthenticated,
                            absl::StrCat("token ", caller->id, " expired at ",
                                         absl::FormatTime(absl::RFC3339_sec, *caller->expires_at,
                                                          absl::UTCTimeZone()))};
  }
  return AccessDecision{Verdict::kUnauthenticated, "a valid token is required"};
}

// Whether the VM exists and lies in the caller's scope.
bool CanReach(const Token& caller, const VmTarget& vm) {
  return vm.id.has_value() && (caller.is_master || caller.vm_scope.Contains(*vm.id));
}

// Admin includes Operator; nothing else counts as a level.
bool Reaches(AccessLevel held, AccessLevel needed) {
  switch (held) {
    case AccessLevel::kAdmin:
      return true;
    case AccessLevel::kOperator:
      return needed == AccessLevel::kOperator;
  }
  return false;
}

AccessDecision DecideLevel(const Token& caller, AccessLevel level,
                           const std::optional<VmTarget>& vm) {
  if (Reaches(caller.access_level, level)) return Allow();
  if (!vm.has_value()) {
    return Deny(absl::StrCat("this needs an ", LevelTitle(level), " token; token ", caller.id,
                             " is ", LevelTitle(caller.access_level)));
  }
  return Deny(absl::StrCat("this needs an ", LevelTitle(level), " token for VM \"", vm->as_named,
                           "\"; token ", caller.id, " is ", LevelTitle(caller.access_level)));
}

AccessDecision DecideAllVms(const Token& caller, AccessLevel level) {
  if (!caller.vm_scope.all_vms || !Reaches(caller.access_level, level)) {
    return Deny(absl::StrCat("this needs an ", LevelTitle(level),
                             " token scoped to All VMs; token ", caller.id, " is ",
                             LevelTitle(caller.access_level), " on ",
                             caller.vm_scope.all_vms ? "All VMs" : "listed VMs"));
  }
  return Allow();
}

AccessDecision DecideExtended(const Token& caller, ExtendedPermission permission) {
  if (caller.access_level != AccessLevel::kAdmin || !caller.vm_scope.all_vms ||
      !caller.extended.Has(permission)) {
    return Deny(absl::StrCat("this needs the \"", ExtendedPermissionName(permission),
                             "\" extended permission; token ", caller.id, " lacks it"));
  }
  return Allow();
}

}  // namespace

absl::Status AccessDecision::ToStatus() const {
  switch (verdict) {
    case Verdict::kAllow:
      return absl::OkStatus();
    case Verdict::kUnauthenticated:
      return absl::UnauthenticatedError(message);
    case Verdict::kNotFound:
      return absl::NotFoundError(message);
    case Verdict::kPermissionDenied:
      return absl::PermissionDeniedError(message);
  }
  return absl::InternalError("unknown access verdict");
}

std::string VmNotFoundMessage(absl::string_view as_named) {
  return absl::StrCat("VM \"", as_named, "\" not found");
}

AccessDecision Decide(const Token* caller, const AccessRequirement& need,
                      const std::optional<VmTarget>& vm, absl::Time now) {
  if (need.kind == Kind::kPublic) return Allow();
  if (auto refused = CheckAuthenticated(caller, now)) return *refused;

  // A per-VM action without its VM is never allowed: a gate that failed to find the VM must not
  // turn into access to every VM.
  if (need.kind == Kind::kVm && !vm.has_value()) {
    return {Verdict::kNotFound, VmNotFoundMessage("")};
  }
  const bool names_vm = need.kind == Kind::kVm || (need.kind == Kind::kAllVms && vm.has_value());
  if (names_vm && !CanReach(*caller, *vm)) {
    return {Verdict::kNotFound, VmNotFoundMessage(vm->as_named)};
  }
  if (caller->is_master) return Allow();

  switch (need.kind) {
    case Kind::kPublic:
    case Kind::kSelf:
      return Allow();
    case Kind::kVm:
    case Kind::kVmList:
      return DecideLevel(*caller, need.level, vm);
    case Kind::kAllVms:
      return DecideAllVms(*caller, need.level);
    case Kind::kExtended:
      return DecideExtended(*caller, need.permission);
    case Kind::kMaster:
      return Deny("only the master token may do this");
  }
  return Deny("the action declares no access rule");
}

bool CanSeeVm(const Token& caller, absl::string_view vm_id) {
  return caller.is_master || caller.vm_scope.Contains(vm_id);
}

}  // namespace vpvm::auth
