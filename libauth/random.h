#pragma once

// The source of unpredictable bytes for secrets, Token IDs and TOTP keys. Production code uses
// the OS CSPRNG through OpenSSL; tests may inject a deterministic source.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vpvm::auth {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` completely, or fails without a partial result being usable.
  virtual absl::Status Fill(absl::Span<uint8_t> out) = 0;
};

// OpenSSL's RAND_bytes, seeded from the operating system.
class OsRandom final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override;
};

// `length` characters drawn uniformly from `alphabet` (at most 256 characters), by rejection
// sampling so that no character is more likely than another.
absl::Status RandomString(RandomSource& random, absl::string_view alphabet, size_t length,
                          std::string* out);

}  // namespace vpvm::auth
