#include "cli/parse.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace vpvm::cli {
namespace {

constexpr const char* kVmStates[] = {"unspecified", "stopped",   "starting", "running",
                                     "paused",      "suspended", "stopping", "error"};

}  // namespace

absl::StatusOr<uint64_t> ParseSize(const std::string& text, const std::string& option) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  size_t digits = 0;
  while (digits < lower.size() && (absl::ascii_isdigit(lower[digits]) || lower[digits] == '.')) {
    ++digits;
  }
  std::string unit = lower.substr(digits);
  unit = std::string(absl::StripSuffix(absl::StripSuffix(unit, "b"), "i"));
  const std::string bad = absl::StrCat(option, " \"", text,
                                       "\" is not a size: write a number and a unit, as 64M, "
                                       "1G, 10GiB (binary: 1G is 1 GiB)");
  double number = 0;
  if (digits == 0 || !absl::SimpleAtod(lower.substr(0, digits), &number) || number < 0) {
    return absl::InvalidArgumentError(bad);
  }
  int shift = 0;
  if (unit == "k") {
    shift = 10;
  } else if (unit == "m") {
    shift = 20;
  } else if (unit == "g") {
    shift = 30;
  } else if (unit == "t") {
    shift = 40;
  } else {
    return absl::InvalidArgumentError(bad);
  }
  const double bytes = number * static_cast<double>(uint64_t{1} << shift);
  if (bytes >= static_cast<double>(std::numeric_limits<uint64_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(option, " \"", text, "\" is too large"));
  }
  return static_cast<uint64_t>(bytes);
}

absl::StatusOr<std::vector<std::string>> ParseList(const std::string& text,
                                                   const std::string& option) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(option, " \"", text, "\" has an empty item; separate names with commas"));
    }
    items.emplace_back(item);
  }
  return items;
}

absl::StatusOr<v1::AccessLevel> ParseScope(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "operator") return v1::ACCESS_LEVEL_OPERATOR;
  if (lower == "admin") return v1::ACCESS_LEVEL_ADMIN;
  return absl::InvalidArgumentError(
      absl::StrCat("--scope \"", text, "\" is neither operator nor admin"));
}

absl::StatusOr<std::vector<v1::ExtendedPermission>> ParseExtended(const std::string& text) {
  std::vector<v1::ExtendedPermission> permissions;
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower.empty() || lower == "none") return permissions;
  for (absl::string_view item : absl::StrSplit(lower, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "templates") {
      permissions.push_back(v1::EXTENDED_PERMISSION_TEMPLATES);
    } else if (item == "networks") {
      permissions.push_back(v1::EXTENDED_PERMISSION_NETWORKS);
    } else if (item == "images") {
      permissions.push_back(v1::EXTENDED_PERMISSION_IMAGES);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--extended \"", item, "\" is not templates, networks or images (or none)"));
    }
  }
  return permissions;
}

absl::StatusOr<v1::TokenStatus> ParseTokenStatus(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "all") return v1::TOKEN_STATUS_UNSPECIFIED;
  if (lower == "active") return v1::TOKEN_STATUS_ACTIVE;
  if (lower == "disabled") return v1::TOKEN_STATUS_DISABLED;
  if (lower == "expired") return v1::TOKEN_STATUS_EXPIRED;
  return absl::InvalidArgumentError(
      absl::StrCat("--status \"", text, "\" is not all, active, disabled or expired"));
}

absl::StatusOr<v1::VmState> ParseVmState(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (int i = 1; i < static_cast<int>(std::size(kVmStates)); ++i) {
    if (lower == kVmStates[i]) return static_cast<v1::VmState>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--state \"", text,
                   "\" is not stopped, starting, running, paused, suspended, stopping or error"));
}

std::string ScopeName(v1::AccessLevel level) {
  switch (level) {
    case v1::ACCESS_LEVEL_OPERATOR:
      return "Operator";
    case v1::ACCESS_LEVEL_ADMIN:
      return "Admin";
    default:
      return "?";
  }
}

std::string ExtendedName(v1::ExtendedPermission permission) {
  switch (permission) {
    case v1::EXTENDED_PERMISSION_TEMPLATES:
      return "templates";
    case v1::EXTENDED_PERMISSION_NETWORKS:
      return "networks";
    case v1::EXTENDED_PERMISSION_IMAGES:
      return "images";
    default:
      return "?";
  }
}

std::string VmStateName(v1::VmState state) {
  const int index = static_cast<int>(state);
  if (index < 0 || index >= static_cast<int>(std::size(kVmStates))) return "?";
  return kVmStates[index];
}

std::string TokenStatusName(v1::TokenStatus status) {
  switch (status) {
    case v1::TOKEN_STATUS_ACTIVE:
      return "Active";
    case v1::TOKEN_STATUS_DISABLED:
      return "Disabled";
    case v1::TOKEN_STATUS_EXPIRED:
      return "Expired";
    default:
      return "?";
  }
}

}  // namespace vpvm::cli
