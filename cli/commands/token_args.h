#pragma once

// The token options that `token create` and `token edit` share: scope, VMs, expiry and extended
// permissions as typed, turned into API values with the client-side checks that give the
// clearest message (the daemon checks them all again).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "vpvm/v1/common.pb.h"

namespace vpvm::cli {

// --vms: InvalidArgument for an empty list ("" never means All VMs).
absl::StatusOr<v1::VmScope> VmScopeFromOption(const std::string& vms);

// --expires: nullopt for "never"; a past instant is refused, naming the instant meant.
absl::StatusOr<std::optional<google::protobuf::Timestamp>> ExpiryFromOption(const std::string& text,
                                                                            absl::Time now,
                                                                            absl::TimeZone zone);

// Refuses extended permissions on anything but an Admin token scoped to All VMs.
absl::Status CheckExtendedFits(const std::vector<v1::ExtendedPermission>& extended,
                               v1::AccessLevel level, bool all_vms);

}  // namespace vpvm::cli
