#pragma once

// How a token is shown to people: a row of `vpvm token list`, the block of `vpvm token show`,
// and the one-time reveal of a secret.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "vpvm/v1/system_service.pb.h"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::cli {

class Cli;

std::vector<std::string> TokenListHeader();
std::vector<std::string> TokenListRow(const v1::Token& token, const Cli& cli);

std::string TokenDetails(const v1::Token& token, const Cli& cli);

// "All VMs", or the VM names with "⚠ N missing" when some no longer exist.
std::string VmScopeText(const v1::VmScope& scope, int missing);

// "never", "expired", "in 27 days", "in 5h".
std::string ExpiryShort(const google::protobuf::Timestamp* expire_time, absl::Time now);

// "2026-12-31T23:00:00Z (2027-01-01 00:00 CET, in 27 days)" or "never".
std::string ExpiryLong(const google::protobuf::Timestamp* expire_time, const Cli& cli);

// What `whoami` prints.
std::string SelfDetails(const v1::InspectSelfResponse& self, const Cli& cli);

// The secret with the warning that it cannot be shown again.
std::string SecretReveal(const std::string& secret);

}  // namespace vpvm::cli
