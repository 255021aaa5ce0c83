#include "libauth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "libauth/token.h"

namespace vpvm::auth {
namespace {

constexpr absl::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr absl::string_view kTokenIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

bool IsBase62(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

uint32_t Crc32(absl::string_view payload) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
}

// The checksum of `payload` as exactly kSecretChecksumLength base62 digits (62^6 > 2^32).
std::string Checksum(absl::string_view payload) {
  uint32_t crc = Crc32(payload);
  std::string out(kSecretChecksumLength, '0');
  for (size_t i = kSecretChecksumLength; i-- > 0;) {
    out[i] = kBase62[crc % kBase62.size()];
    crc /= kBase62.size();
  }
  return out;
}

// The value of base62 digits already known to be in [0-9A-Za-z]; no division on this path.
uint64_t Base62Value(absl::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) {
    const uint64_t digit = c <= '9' ? c - '0' : c <= 'Z' ? c - 'A' + 10 : c - 'a' + 36;
    value = value * kBase62.size() + digit;
  }
  return value;
}

const EVP_MD* Sha256() {
  // Fetched once: an implicit fetch on every call costs more than the hash itself.
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

}  // namespace

absl::StatusOr<std::string> GenerateSecret(RandomSource& random) {
  std::string body;
  VPVM_RETURN_IF_ERROR(RandomString(random, kBase62, kSecretBodyLength, &body));
  std::string payload = absl::StrCat(kSecretPrefix, body);
  return absl::StrCat(payload, Checksum(payload));
}

absl::StatusOr<std::string> GenerateTokenId(RandomSource& random) {
  std::string suffix;
  VPVM_RETURN_IF_ERROR(RandomString(random, kTokenIdAlphabet, kTokenIdRandomLength, &suffix));
  return absl::StrCat(kTokenIdPrefix, suffix);
}

absl::Status CheckSecretFormat(absl::string_view presented) {
  if (!absl::StartsWith(presented, kSecretPrefix)) {
    return absl::InvalidArgumentError("not a vpvm token: it does not start with \"vpvm_\"");
  }
  if (presented.size() != kSecretLength) {
    return absl::InvalidArgumentError(absl::StrCat("malformed token: ", presented.size(),
                                                   " characters instead of ", kSecretLength,
                                                   " (truncated or extended?)"));
  }
  for (char c : presented.substr(kSecretPrefix.size())) {
    if (!IsBase62(c)) {
      return absl::InvalidArgumentError(
          "malformed token: it holds a character outside [0-9A-Za-z]");
    }
  }
  const size_t payload_length = kSecretLength - kSecretChecksumLength;
  if (Base62Value(presented.substr(payload_length)) != Crc32(presented.substr(0, payload_length))) {
    return absl::InvalidArgumentError("malformed token: its checksum does not match (mistyped?)");
  }
  return absl::OkStatus();
}

bool IsWellFormedTokenId(absl::string_view id) {
  if (id == kMasterTokenId) return true;
  if (!absl::StartsWith(id, kTokenIdPrefix)) return false;
  if (id.size() != kTokenIdPrefix.size() + kTokenIdRandomLength) return false;
  for (char c : id.substr(kTokenIdPrefix.size())) {
    if (kTokenIdAlphabet.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

SecretDigest DigestSecret(absl::string_view secret) {
  // One context per thread, reused: allocating a context per call costs as much as hashing
  // a secret of this size.
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());

  SecretDigest digest{};
  unsigned int length = 0;
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), Sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 || length != digest.size()) {
    std::abort();  // SHA-256 cannot fail on a working OpenSSL; continuing would be unsafe.
  }
  return digest;
}

bool DigestsEqual(const SecretDigest& a, const SecretDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vpvm::auth
