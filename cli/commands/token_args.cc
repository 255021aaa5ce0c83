#include "cli/commands/token_args.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "common/status_macros.h"
#include "libauth/expiry.h"

namespace vpvm::cli {

absl::StatusOr<v1::VmScope> VmScopeFromOption(const std::string& vms) {
  if (absl::StripAsciiWhitespace(vms).empty()) {
    return absl::InvalidArgumentError(
        "--vms is empty: name at least one VM, or leave --vms out for All VMs (an empty list "
        "never means All VMs)");
  }
  VPVM_ASSIGN_OR_RETURN(std::vector<std::string> names, ParseList(vms, "--vms"));
  v1::VmScope scope;
  for (const std::string& name : names) scope.add_vms()->set_name(name);
  return scope;
}

absl::StatusOr<std::optional<google::protobuf::Timestamp>> ExpiryFromOption(const std::string& text,
                                                                            absl::Time now,
                                                                            absl::TimeZone zone) {
  absl::StatusOr<std::optional<absl::Time>> parsed = auth::ParseExpiry(text, now, zone);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--expires: ", parsed.status().message()));
  }
  if (!parsed->has_value()) return std::nullopt;
  const absl::Time at = **parsed;
  if (at <= now) {
    return absl::InvalidArgumentError(absl::StrCat("--expires \"", text, "\" means ", FormatUtc(at),
                                                   ", which is in the past; give a later time"));
  }
  google::protobuf::Timestamp timestamp;
  const absl::Duration since_epoch = at - absl::UnixEpoch();
  timestamp.set_seconds(absl::ToInt64Seconds(since_epoch));
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(timestamp.seconds()))));
  return timestamp;
}

absl::Status CheckExtendedFits(const std::vector<v1::ExtendedPermission>& extended,
                               v1::AccessLevel level, bool all_vms) {
  if (extended.empty() || (level == v1::ACCESS_LEVEL_ADMIN && all_vms)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "--extended is only for Admin tokens scoped to All VMs: add --scope admin and leave out "
      "--vms, or drop --extended");
}

}  // namespace vpvm::cli
