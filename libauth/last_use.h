#pragma once

// One observation of a token in use, and the interface through which the last-used recorder
// hands batches of them to durable storage (the token store implements it).

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vpvm::auth {

struct LastUse {
  std::string token_id;
  absl::Time at;
  std::string client_address;  // normalised, e.g. "::1" or "192.0.2.7"; "unix" for the socket
};

class LastUseSink {
 public:
  virtual ~LastUseSink() = default;
  // Stores the latest use of each token in `uses` (one entry per token at most) in one
  // transaction. Unknown Token IDs (revoked meanwhile) are skipped, not an error.
  virtual absl::Status WriteLastUses(absl::Span<const LastUse> uses) = 0;
};

}  // namespace vpvm::auth
