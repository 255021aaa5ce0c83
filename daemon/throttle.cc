#include "daemon/throttle.h"

#include <algorithm>
#include <cmath>

namespace vpvm::daemon {

FailureThrottle::FailureThrottle(const auth::Clock& clock, ThrottleOptions options)
    : clock_(clock), options_(options) {}

double FailureThrottle::Refilled(const Bucket& bucket, absl::Time now) const {
  const double earned = absl::FDivDuration(now - bucket.updated, options_.refill);
  return std::min<double>(options_.burst, bucket.tokens + std::max(0.0, earned));
}

absl::Duration FailureThrottle::RetryAfter(const std::string& address) const {
  if (tracked_.load(std::memory_order_acquire) == 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return absl::ZeroDuration();
  const double tokens = Refilled(it->second, clock_.Now());
  if (tokens >= 1.0) return absl::ZeroDuration();
  return absl::Ceil(options_.refill * (1.0 - tokens), absl::Seconds(1));
}

void FailureThrottle::RecordFailure(const std::string& address) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() >= options_.max_tracked_addresses && !buckets_.contains(address)) {
    // Forget addresses that have earned their whole burst back; they would start full anyway.
    absl::erase_if(
        buckets_, [&](const auto& entry) { return Refilled(entry.second, now) >= options_.burst; });
  }
  auto [it, inserted] = buckets_.try_emplace(address, Bucket{double(options_.burst), now});
  Bucket& bucket = it->second;
  bucket.tokens = std::max(0.0, Refilled(bucket, now) - 1.0);
  bucket.updated = now;
  tracked_.store(buckets_.size(), std::memory_order_release);
}

}  // namespace vpvm::daemon
