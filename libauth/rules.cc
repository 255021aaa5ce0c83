#include "libauth/rules.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vpvm::auth {
namespace {

size_t CountCodePoints(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

absl::StatusOr<std::string> NormalizeLabel(absl::string_view raw) {
  absl::string_view label = absl::StripAsciiWhitespace(raw);
  if (label.empty()) return absl::InvalidArgumentError("a label is required");
  if (CountCodePoints(label) > kMaxLabelLength) {
    return absl::InvalidArgumentError(absl::StrCat("the label is ", CountCodePoints(label),
                                                   " characters long; at most ", kMaxLabelLength,
                                                   " are allowed"));
  }
  for (char c : label) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("the label holds a control character");
    }
  }
  return std::string(label);
}

absl::StatusOr<VmScope> NormalizeScope(VmScope scope) {
  if (scope.all_vms) {
    if (!scope.vms.empty()) {
      return absl::InvalidArgumentError(
          "a token is scoped either to All VMs or to a VM list, not both");
    }
    return scope;
  }
  if (scope.vms.empty()) {
    return absl::InvalidArgumentError(
        "the VM list is empty; name at least one VM, or choose All VMs explicitly");
  }
  VmScope normalized;
  absl::flat_hash_set<std::string> seen;
  for (VmRef& vm : scope.vms) {
    if (absl::StripAsciiWhitespace(vm.id).empty()) {
      return absl::InvalidArgumentError("a VM in the list has an empty id");
    }
    if (!seen.insert(vm.id).second) continue;
    if (vm.name.empty()) vm.name = vm.id;
    normalized.vms.push_back(std::move(vm));
  }
  return normalized;
}

absl::Status CheckLevel(AccessLevel level) {
  if (level != AccessLevel::kOperator && level != AccessLevel::kAdmin) {
    return absl::InvalidArgumentError("the scope must be operator or admin");
  }
  return absl::OkStatus();
}

// The latest expiry the API can carry (google.protobuf.Timestamp ends with year 9999).
const absl::Time kLatestExpiry = absl::FromUnixSeconds(253402300799);

// Expiries are kept to the microsecond, as the store keeps them, so that a token's status is the
// same before and after a restart.
absl::StatusOr<std::optional<absl::Time>> NormalizeExpiry(std::optional<absl::Time> expires_at,
                                                          absl::Time now) {
  if (!expires_at.has_value()) return expires_at;
  expires_at = absl::FromUnixMicros(absl::ToUnixMicros(*expires_at));
  if (*expires_at > kLatestExpiry) {
    return absl::InvalidArgumentError("the expiry lies after the year 9999");
  }
  if (*expires_at <= now) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the expiry ", absl::FormatTime(absl::RFC3339_sec, *expires_at, absl::UTCTimeZone()),
        " is in the past"));
  }
  return expires_at;
}

bool MayHoldExtended(AccessLevel level, const VmScope& scope) {
  return level == AccessLevel::kAdmin && scope.all_vms;
}

constexpr absl::string_view kExtendedRule =
    "extended permissions need an Admin token scoped to All VMs";

}  // namespace

absl::StatusOr<TokenSpec> ValidateNewToken(TokenSpec spec, absl::Time now) {
  VPVM_ASSIGN_OR_RETURN(spec.label, NormalizeLabel(spec.label));
  VPVM_RETURN_IF_ERROR(CheckLevel(spec.access_level));
  VPVM_ASSIGN_OR_RETURN(spec.vm_scope, NormalizeScope(std::move(spec.vm_scope)));
  if (spec.extended.Any() && !MayHoldExtended(spec.access_level, spec.vm_scope)) {
    return absl::InvalidArgumentError(kExtendedRule);
  }
  VPVM_ASSIGN_OR_RETURN(spec.expires_at, NormalizeExpiry(spec.expires_at, now));
  return spec;
}

absl::StatusOr<Token> ApplyEdit(const Token& current, const TokenEdit& edit, absl::Time now) {
  if (current.is_master) return absl::InvalidArgumentError("the master token cannot be edited");

  Token next = current;
  if (edit.label.has_value()) {
    VPVM_ASSIGN_OR_RETURN(next.label, NormalizeLabel(*edit.label));
  }
  if (edit.access_level.has_value()) {
    VPVM_RETURN_IF_ERROR(CheckLevel(*edit.access_level));
    next.access_level = *edit.access_level;
  }
  if (edit.vm_scope.has_value()) {
    VPVM_ASSIGN_OR_RETURN(next.vm_scope, NormalizeScope(*edit.vm_scope));
  }
  if (edit.expires_at.has_value()) {
    VPVM_ASSIGN_OR_RETURN(next.expires_at, NormalizeExpiry(*edit.expires_at, now));
  }

  const bool may_hold = MayHoldExtended(next.access_level, next.vm_scope);
  if (edit.extended.has_value()) {
    if (edit.extended->Any() && !may_hold) return absl::InvalidArgumentError(kExtendedRule);
    next.extended = *edit.extended;
  } else if (!may_hold) {
    next.extended = ExtendedPermissions{};
  }
  return next;
}

}  // namespace vpvm::auth
