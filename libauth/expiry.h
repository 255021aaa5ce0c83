#pragma once

// Turns what a user types for a token's expiry into the exact UTC instant that the API stores.
// Accepted forms:
//   - a date, "2026-12-31": valid through the end of that day in `zone`, so the instant is the
//     following midnight there (the caller should print the instant, since it depends on the
//     zone);
//   - an RFC 3339 time, "2026-12-31T18:00:00Z" or with an offset;
//   - a duration from now: a whole number and a unit, "90m", "12h", "30d", "4w";
//   - "never" (nullopt).

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::auth {

// InvalidArgument names the accepted forms when `text` is none of them. The result is not
// checked against `now`: the rules refuse an expiry in the past, with their own message.
absl::StatusOr<std::optional<absl::Time>> ParseExpiry(absl::string_view text, absl::Time now,
                                                      absl::TimeZone zone);

}  // namespace vpvm::auth
