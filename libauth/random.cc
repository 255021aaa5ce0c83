#include "libauth/random.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>

#include "absl/strings/str_cat.h"

namespace vpvm::auth {

absl::Status OsRandom::Fill(absl::Span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return absl::InternalError(absl::StrCat("the system random generator failed: ",
                                            ERR_error_string(ERR_get_error(), nullptr)));
  }
  return absl::OkStatus();
}

absl::Status RandomString(RandomSource& random, absl::string_view alphabet, size_t length,
                          std::string* out) {
  if (alphabet.empty() || alphabet.size() > 256) {
    return absl::InvalidArgumentError("alphabet must hold 1 to 256 characters");
  }
  // Bytes at or above `limit` would make the first characters likelier; they are drawn again.
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string result;
  result.reserve(length);
  std::array<uint8_t, 64> pool;
  while (result.size() < length) {
    if (absl::Status s = random.Fill(absl::MakeSpan(pool)); !s.ok()) return s;
    for (uint8_t byte : pool) {
      if (byte >= limit) continue;
      result.push_back(alphabet[byte % alphabet.size()]);
      if (result.size() == length) break;
    }
  }
  *out = std::move(result);
  return absl::OkStatus();
}

}  // namespace vpvm::auth
