#pragma once

// Base32 as defined in RFC 4648 §6 (alphabet A–Z, 2–7), the encoding authenticator apps expect
// for TOTP keys in otpauth:// URIs and for keys typed in by hand.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vpvm::auth {

enum class Base32Padding {
  kOmit,     // as in otpauth:// URIs
  kInclude,  // '=' up to a multiple of 8 characters, as in RFC 4648's own examples
};

// Encodes arbitrary bytes in upper-case Base32.
std::string Base32Encode(absl::string_view data, Base32Padding padding = Base32Padding::kOmit);

// Decodes Base32 the way a person may have typed or pasted it: letters in either case, spaces
// anywhere, trailing '=' padding optional. Refuses any other character, a length that no byte
// string encodes to, and unused trailing bits that are not zero, so each byte string has exactly
// one accepted spelling (up to case, spaces and padding).
absl::StatusOr<std::string> Base32Decode(absl::string_view text);

}  // namespace vpvm::auth
