#pragma once

// Token secrets and Token IDs.
//
// A secret reads `vpvm_` + 32 base62 characters (190 bits from the OS CSPRNG) + a 6-character
// base62 checksum, 43 characters in all. The checksum is taken from the SHA-256 of everything
// before it, so a mistyped, truncated or foreign string is refused by its format alone, before
// any lookup, and the one hash that checks it is also the digest the store keeps. Secrets are
// never stored: a SHA-256 digest is a sound choice for a uniformly random 190-bit value, and it
// keeps verification in the order of a microsecond.
//
// A Token ID reads `tok_` + 12 characters [a-z0-9]; it is public and never authenticates.

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libauth/random.h"

namespace vpvm::auth {

inline constexpr absl::string_view kSecretPrefix = "vpvm_";
inline constexpr size_t kSecretBodyLength = 32;
inline constexpr size_t kSecretChecksumLength = 6;
inline constexpr size_t kSecretLength =
    kSecretPrefix.size() + kSecretBodyLength + kSecretChecksumLength;

inline constexpr absl::string_view kTokenIdPrefix = "tok_";
inline constexpr size_t kTokenIdRandomLength = 12;

using SecretDigest = std::array<uint8_t, 32>;

// A fresh secret in the format above.
absl::StatusOr<std::string> GenerateSecret(RandomSource& random);

// A fresh Token ID.
absl::StatusOr<std::string> GenerateTokenId(RandomSource& random);

// The digest under which the store keeps `presented`, when it is a well-formed secret;
// otherwise InvalidArgument naming what is wrong (prefix, length, character, checksum). Pure:
// touches no store.
absl::StatusOr<SecretDigest> DigestPresentedSecret(absl::string_view presented);

// DigestPresentedSecret without the digest.
absl::Status CheckSecretFormat(absl::string_view presented);

// True when `id` looks like a Token ID (or is the master's).
bool IsWellFormedTokenId(absl::string_view id);

// SHA-256 of `data`, with the implementation fetched once per process and a context reused per
// thread.
SecretDigest Sha256Digest(absl::string_view data);

// Constant-time equality of two digests.
bool DigestsEqual(const SecretDigest& a, const SecretDigest& b);

}  // namespace vpvm::auth
