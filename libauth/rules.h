#pragma once

// The rules every token obeys (DESIGN.md §3), applied before anything is stored: a new token's
// specification is checked and normalised, an edit is merged onto the current token. Nothing
// here widens a scope: an empty VM list is refused, never read as "All VMs".

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libauth/token.h"

namespace vpvm::auth {

inline constexpr size_t kMaxLabelLength = 100;  // in characters (code points)

// What a caller asks for when creating a token.
struct TokenSpec {
  std::string label;
  AccessLevel access_level = AccessLevel::kOperator;
  VmScope vm_scope;
  ExtendedPermissions extended;
  std::optional<absl::Time> expires_at;  // nullopt: never
};

// A change to an existing token; fields left empty stay as they are.
struct TokenEdit {
  std::optional<std::string> label;
  std::optional<AccessLevel> access_level;
  std::optional<VmScope> vm_scope;
  std::optional<ExtendedPermissions> extended;
  // Outer nullopt: unchanged; inner nullopt: never expires.
  std::optional<std::optional<absl::Time>> expires_at;
};

// The specification as it will be stored (label trimmed, VM list de-duplicated), or
// InvalidArgument naming the broken rule.
absl::StatusOr<TokenSpec> ValidateNewToken(TokenSpec spec, absl::Time now);

// `current` with `edit` applied. Extended permissions asked for on a token that cannot hold
// them are refused; ones it already held are cleared when the edit moves the token away from
// Admin on All VMs. The master token cannot be edited.
absl::StatusOr<Token> ApplyEdit(const Token& current, const TokenEdit& edit, absl::Time now);

}  // namespace vpvm::auth
