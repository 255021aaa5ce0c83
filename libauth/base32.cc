#include "libauth/base32.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vpvm::auth {
namespace {

constexpr absl::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The 5-bit value of a Base32 character, or -1.
int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Whether `n` characters (without padding) can be the Base32 spelling of whole bytes. Each
// 8-character group carries 5 bytes; a shorter last group carries 1, 2, 3 or 4 of them in 2, 4,
// 5 or 7 characters.
bool IsValidUnpaddedLength(size_t n) {
  switch (n % 8) {
    case 0:
    case 2:
    case 4:
    case 5:
    case 7:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string Base32Encode(absl::string_view data, Base32Padding padding) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);

  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);

  if (padding == Base32Padding::kInclude) {
    while (out.size() % 8 != 0) out.push_back('=');
  }
  return out;
}

absl::StatusOr<std::string> Base32Decode(absl::string_view text) {
  std::string symbols;
  symbols.reserve(text.size());
  size_t padding = 0;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) {
      return absl::InvalidArgumentError("Base32 text has characters after its '=' padding");
    }
    if (DecodeChar(c) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Base32 text has a character outside A-Z and 2-7: '", std::string(1, c), "'"));
    }
    symbols.push_back(c);
  }
  if (!IsValidUnpaddedLength(symbols.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Base32 text of ", symbols.size(), " characters is truncated: no byte string has it"));
  }
  if (padding > 0 && ((symbols.size() + padding) % 8 != 0 || padding >= 8)) {
    return absl::InvalidArgumentError("Base32 text has the wrong amount of '=' padding");
  }

  std::string out;
  out.reserve(symbols.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : symbols) {
    buffer = (buffer << 5) | static_cast<uint32_t>(DecodeChar(c));
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError(
        "Base32 text is not canonical: its last character carries bits beyond the data");
  }
  return out;
}

}  // namespace vpvm::auth
