#include "libauth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

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

constexpr size_t kPayloadLength = kSecretLength - kSecretChecksumLength;

// The checksum is the first four bytes of the payload's digest, big-endian: the one SHA-256
// that verification needs anyway also catches typos.
uint32_t ChecksumValue(const SecretDigest& payload_digest) {
  return (uint32_t{payload_digest[0]} << 24) | (uint32_t{payload_digest[1]} << 16) |
         (uint32_t{payload_digest[2]} << 8) | uint32_t{payload_digest[3]};
}

// `value` as exactly kSecretChecksumLength base62 digits (62^6 > 2^32).
std::string Base62Digits(uint32_t value) {
  std::string out(kSecretChecksumLength, '0');
  for (size_t i = kSecretChecksumLength; i-- > 0;) {
    out[i] = kBase62[value % kBase62.size()];
    value /= kBase62.size();
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
  return absl::StrCat(payload, Base62Digits(ChecksumValue(Sha256Digest(payload))));
}

absl::StatusOr<std::string> GenerateTokenId(RandomSource& random) {
  std::string suffix;
  VPVM_RETURN_IF_ERROR(RandomString(random, kTokenIdAlphabet, kTokenIdRandomLength, &suffix));
  return absl::StrCat(kTokenIdPrefix, suffix);
}

absl::StatusOr<SecretDigest> DigestPresentedSecret(absl::string_view presented) {
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
  const SecretDigest digest = Sha256Digest(presented.substr(0, kPayloadLength));
  if (Base62Value(presented.substr(kPayloadLength)) != ChecksumValue(digest)) {
    return absl::InvalidArgumentError("malformed token: its checksum does not match (mistyped?)");
  }
  return digest;
}

absl::Status CheckSecretFormat(absl::string_view presented) {
  return DigestPresentedSecret(presented).status();
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

SecretDigest Sha256Digest(absl::string_view data) {
  // One context per thread, reused: allocating a context per call costs as much as hashing
  // a secret of this size.
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());

  SecretDigest digest{};
  unsigned int length = 0;
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), Sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 || length != digest.size()) {
    std::abort();  // SHA-256 cannot fail on a working OpenSSL; continuing would be unsafe.
  }
  return digest;
}

bool DigestsEqual(const SecretDigest& a, const SecretDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vpvm::auth
