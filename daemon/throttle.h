#pragma once

// Throttling of failed authentication per client address (DESIGN.md §4): each address may fail
// `burst` times at once and earns one more attempt every `refill`; beyond that it is refused
// until then. A valid token from another address is never affected, and a success does not
// reset the count (it would let a guesser holding one valid token interleave).

#include <atomic>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libauth/clock.h"

namespace vpvm::daemon {

struct ThrottleOptions {
  int burst = 10;
  absl::Duration refill = absl::Seconds(6);  // one attempt back every 6 s: 10 a minute
  size_t max_tracked_addresses = 100'000;
};

class FailureThrottle {
 public:
  FailureThrottle(const auth::Clock& clock, ThrottleOptions options);

  // Zero when `address` may try now; otherwise how long it must wait.
  absl::Duration RetryAfter(const std::string& address) const;

  // Counts a failed attempt from `address`.
  void RecordFailure(const std::string& address);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refilled(const Bucket& bucket, absl::Time now) const;

  const auth::Clock& clock_;
  const ThrottleOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  // buckets_.size(), readable without the lock: while no address has failed, RetryAfter (on
  // every call with a token) takes no lock at all.
  std::atomic<size_t> tracked_{0};
};

}  // namespace vpvm::daemon
