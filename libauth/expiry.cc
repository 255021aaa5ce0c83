#include "libauth/expiry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vpvm::auth {
namespace {

std::optional<absl::Duration> ParseDuration(absl::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t count = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &count) || count <= 0 ||
      count > 100 * 366) {
    return std::nullopt;
  }
  switch (text.back()) {
    case 'm':
      return absl::Minutes(count);
    case 'h':
      return absl::Hours(count);
    case 'd':
      return absl::Hours(24 * count);
    case 'w':
      return absl::Hours(24 * 7 * count);
    default:
      return std::nullopt;
  }
}

std::optional<absl::Time> ParseEndOfDay(absl::string_view text, absl::TimeZone zone) {
  absl::CivilDay day;
  auto digits = [&](size_t from, size_t count) {
    for (size_t i = from; i < from + count; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
  };
  if (text.size() != 10 || !digits(0, 4) || text[4] != '-' || !digits(5, 2) || text[7] != '-' ||
      !digits(8, 2) || !absl::ParseCivilTime(text, &day)) {
    return std::nullopt;
  }
  // The first instant of the next day; FromCivil handles days of 23 or 25 hours.
  return absl::FromCivil(day + 1, zone);
}

}  // namespace

absl::StatusOr<std::optional<absl::Time>> ParseExpiry(absl::string_view raw, absl::Time now,
                                                      absl::TimeZone zone) {
  const absl::string_view text = absl::StripAsciiWhitespace(raw);
  if (absl::AsciiStrToLower(text) == "never") return std::optional<absl::Time>();
  if (std::optional<absl::Time> end_of_day = ParseEndOfDay(text, zone)) return end_of_day;
  if (std::optional<absl::Duration> duration = ParseDuration(text)) return now + *duration;

  absl::Time instant;
  std::string error;
  // absl::ParseTime also reads "infinite-future" and "infinite-past", which are no instants.
  if (!absl::StartsWith(text, "infinite") &&
      absl::ParseTime(absl::RFC3339_full, text, &instant, &error)) {
    return instant;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot read \"", text,
                   "\" as an expiry: use a date (2026-12-31), an RFC 3339 time "
                   "(2026-12-31T18:00:00Z), a duration (90m, 12h, 30d, 4w) or \"never\""));
}

}  // namespace vpvm::auth
