#pragma once

// What users type into `vpvm` options, turned into API values. Every error is InvalidArgument
// naming the option, the value and what would be accepted.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vpvm/v1/common.pb.h"
#include "vpvm/v1/token_service.pb.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::cli {

// "64M", "1G", "10GiB", "512K", "2T" (binary units; "1G" is 1 GiB). A bare number is refused,
// since whether it meant bytes or mebibytes cannot be told.
absl::StatusOr<uint64_t> ParseSize(const std::string& text, const std::string& option);

// "a,b, c" -> {"a", "b", "c"}; empty items are refused.
absl::StatusOr<std::vector<std::string>> ParseList(const std::string& text,
                                                   const std::string& option);

// "operator" or "admin", any case.
absl::StatusOr<v1::AccessLevel> ParseScope(const std::string& text);

// "templates,networks,images"; "none" or "" is the empty list.
absl::StatusOr<std::vector<v1::ExtendedPermission>> ParseExtended(const std::string& text);

// "all", "active", "disabled", "expired".
absl::StatusOr<v1::TokenStatus> ParseTokenStatus(const std::string& text);

// "running", "stopped", ... as VmState.
absl::StatusOr<v1::VmState> ParseVmState(const std::string& text);

// Names for people: "Operator", "Admin", "templates", "running", "Active".
std::string ScopeName(v1::AccessLevel level);
std::string ExtendedName(v1::ExtendedPermission permission);
std::string VmStateName(v1::VmState state);
std::string TokenStatusName(v1::TokenStatus status);

}  // namespace vpvm::cli
