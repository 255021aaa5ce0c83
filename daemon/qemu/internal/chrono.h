#pragma once

#include <algorithm>
#include <chrono>

#include "absl/time/time.h"

namespace vpvm::qemu::internal {

// `duration` for std::condition_variable waits. Clamped to a year, since an infinite duration
// would overflow the clock arithmetic of wait_for.
inline std::chrono::nanoseconds ToChrono(absl::Duration duration) {
  return absl::ToChronoNanoseconds(std::min(duration, absl::Hours(24 * 365)));
}

}  // namespace vpvm::qemu::internal
