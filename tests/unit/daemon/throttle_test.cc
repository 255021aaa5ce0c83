#include "daemon/throttle.h"

#include "gtest/gtest.h"

namespace vpvm::daemon {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ThrottleTest, BurstIsAllowedThenTheAddressWaits) {
  auth::FakeClock clock(kStart);
  FailureThrottle throttle(clock, {.burst = 3, .refill = absl::Seconds(10)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.RetryAfter("192.0.2.1"), absl::ZeroDuration()) << i;
    throttle.RecordFailure("192.0.2.1");
  }
  EXPECT_EQ(throttle.RetryAfter("192.0.2.1"), absl::Seconds(10));
  clock.Advance(absl::Seconds(4));
  EXPECT_EQ(throttle.RetryAfter("192.0.2.1"), absl::Seconds(6));
  clock.Advance(absl::Seconds(6));
  EXPECT_EQ(throttle.RetryAfter("192.0.2.1"), absl::ZeroDuration());
}

TEST(ThrottleTest, OtherAddressesAreUnaffected) {
  auth::FakeClock clock(kStart);
  FailureThrottle throttle(clock, {.burst = 1, .refill = absl::Minutes(1)});
  throttle.RecordFailure("192.0.2.1");
  EXPECT_GT(throttle.RetryAfter("192.0.2.1"), absl::ZeroDuration());
  EXPECT_EQ(throttle.RetryAfter("192.0.2.2"), absl::ZeroDuration());
  EXPECT_EQ(throttle.RetryAfter("::1"), absl::ZeroDuration());
}

TEST(ThrottleTest, ForgetsFullBucketsWhenTrackingTooManyAddresses) {
  auth::FakeClock clock(kStart);
  FailureThrottle throttle(clock,
                           {.burst = 2, .refill = absl::Seconds(1), .max_tracked_addresses = 2});
  throttle.RecordFailure("a");
  throttle.RecordFailure("b");
  clock.Advance(absl::Seconds(5));
  throttle.RecordFailure("c");  // a and b have earned everything back and are forgotten
  throttle.RecordFailure("c");
  EXPECT_GT(throttle.RetryAfter("c"), absl::ZeroDuration());
  EXPECT_EQ(throttle.RetryAfter("a"), absl::ZeroDuration());
}

}  // namespace
}  // namespace vpvm::daemon
