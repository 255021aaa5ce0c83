#include "libauth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdlib>

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

// The checksum of `payload` as exactly kSecretChecksumLength base62 digits (62^6 > 2^32).
std::string Checksum(absl::string_view payload) {
  uint64_t crc =
      crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  std::string out(kSecretChecksumLength, '0');
  for (size_t i = kSecretChecksumLength; i-- > 0;) {
    out[i] = kBase62[crc % kBase62.size()];
    crc /= kBase62.size();
  }
  return out;
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
  if (Checksum(presented.substr(0, payload_length)) != presented.substr(payload_length)) {
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
  SecretDigest digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, Sha256(), nullptr) != 1 ||
      length != digest.size()) {
    std::abort();  // SHA-256 cannot fail on a working OpenSSL; continuing would be unsafe.
  }
  return digest;
}

bool DigestsEqual(const SecretDigest& a, const SecretDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vpvm::auth
