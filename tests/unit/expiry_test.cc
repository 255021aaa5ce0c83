#include "libauth/expiry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'796'000'000);  // 2026-11-30

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

TEST(ExpiryTest, DateMeansThroughTheEndOfThatDayInTheUsersZone) {
  auto berlin = ParseExpiry("2026-12-31", kNow, Zone("Europe/Berlin"));
  ASSERT_TRUE(berlin.ok()) << berlin.status();
  EXPECT_EQ(**berlin, Utc("2026-12-31T23:00:00Z"));
  auto utc = ParseExpiry("2026-12-31", kNow, absl::UTCTimeZone());
  EXPECT_EQ(**utc, Utc("2027-01-01T00:00:00Z"));
  auto new_york = ParseExpiry("2026-12-31", kNow, Zone("America/New_York"));
  EXPECT_EQ(**new_york, Utc("2027-01-01T05:00:00Z"));
}

TEST(ExpiryTest, DateOnADaylightSavingChangeStillEndsAtLocalMidnight) {
  // 2026-10-25 has 25 hours in Berlin; its end is 2026-10-26T00:00+01:00.
  auto end = ParseExpiry("2026-10-25", kNow, Zone("Europe/Berlin"));
  EXPECT_EQ(**end, Utc("2026-10-25T23:00:00Z"));
}

TEST(ExpiryTest, Rfc3339TimeIsTakenExactly) {
  EXPECT_EQ(**ParseExpiry("2026-12-31T18:00:00Z", kNow, absl::UTCTimeZone()),
            Utc("2026-12-31T18:00:00Z"));
  EXPECT_EQ(**ParseExpiry("2026-12-31T18:00:00+02:00", kNow, absl::UTCTimeZone()),
            Utc("2026-12-31T16:00:00Z"));
}

TEST(ExpiryTest, DurationsCountFromNow) {
  EXPECT_EQ(**ParseExpiry("30d", kNow, absl::UTCTimeZone()), kNow + absl::Hours(24 * 30));
  EXPECT_EQ(**ParseExpiry("12h", kNow, absl::UTCTimeZone()), kNow + absl::Hours(12));
  EXPECT_EQ(**ParseExpiry("90m", kNow, absl::UTCTimeZone()), kNow + absl::Minutes(90));
  EXPECT_EQ(**ParseExpiry("2w", kNow, absl::UTCTimeZone()), kNow + absl::Hours(24 * 14));
}

TEST(ExpiryTest, NeverMeansNoExpiry) {
  auto never = ParseExpiry(" Never ", kNow, absl::UTCTimeZone());
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(*never, std::nullopt);
}

TEST(ExpiryTest, AnythingElseIsRefusedNamingTheAcceptedForms) {
  for (const char* bad :
       {"", "tomorrow", "2026-13-01", "2026-02-30", "31.12.2026", "0d", "-3d", "30y", "30",
        "2026-12-31T25:00:00Z", "infinite-future", "infinite-past", "02026-1-01", "2026-1-01"}) {
    auto parsed = ParseExpiry(bad, kNow, absl::UTCTimeZone());
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("RFC 3339")) << bad;
  }
}

}  // namespace
}  // namespace vpvm::auth
