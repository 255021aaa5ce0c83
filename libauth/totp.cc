#include "libauth/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "libauth/base32.h"

namespace vpvm::auth {
namespace {

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

bool IsWellFormedCode(absl::string_view code) {
  return code.size() == static_cast<size_t>(kTotpDigits) &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

absl::StatusOr<std::string> GenerateTotpSecret(RandomSource& random) {
  std::string secret(kTotpSecretBytes, '\0');
  VPVM_RETURN_IF_ERROR(
      random.Fill(absl::MakeSpan(reinterpret_cast<uint8_t*>(secret.data()), secret.size())));
  return secret;
}

absl::StatusOr<std::string> HotpCode(absl::string_view secret, uint64_t counter, int digits) {
  if (secret.empty()) return absl::InvalidArgumentError("a TOTP/HOTP secret must not be empty");
  if (digits < 6 || digits > 8) {
    return absl::InvalidArgumentError(absl::StrCat("an HOTP code has 6 to 8 digits, not ", digits));
  }

  std::array<unsigned char, 8> message;
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr ||
      mac_size != 20) {
    return absl::InternalError("HMAC-SHA1 failed");
  }

  // Dynamic truncation, RFC 4226 §5.3.
  const int offset = mac[19] & 0x0f;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<uint32_t>(mac[offset + 3]);
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;

  std::string code = std::to_string(binary % modulus);
  code.insert(0, static_cast<size_t>(digits) - code.size(), '0');
  return code;
}

int64_t TotpStep(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  int64_t step = seconds / kTotpPeriodSeconds;
  if (seconds % kTotpPeriodSeconds < 0) --step;  // round towards the past, not towards 1970
  return step;
}

absl::StatusOr<std::string> TotpCode(absl::string_view secret, absl::Time t, int digits) {
  if (t < absl::UnixEpoch()) {
    return absl::InvalidArgumentError("TOTP is not defined before 1970-01-01T00:00:00Z");
  }
  return HotpCode(secret, static_cast<uint64_t>(TotpStep(t)), digits);
}

std::string OtpAuthUri(absl::string_view issuer, absl::string_view account_label,
                       absl::string_view secret) {
  std::string label = PercentEncode(account_label);
  if (!issuer.empty()) label = absl::StrCat(PercentEncode(issuer), ":", label);

  std::string uri = absl::StrCat("otpauth://totp/", label,
                                 "?secret=", Base32Encode(secret, Base32Padding::kOmit));
  if (!issuer.empty()) absl::StrAppend(&uri, "&issuer=", PercentEncode(issuer));
  absl::StrAppend(&uri, "&algorithm=SHA1&digits=", kTotpDigits, "&period=", kTotpPeriodSeconds);
  return uri;
}

absl::string_view TotpVerdictName(TotpVerdict verdict) {
  switch (verdict) {
    case TotpVerdict::kAccepted:
      return "accepted";
    case TotpVerdict::kWrongCode:
      return "wrong code";
    case TotpVerdict::kReused:
      return "code already used";
    case TotpVerdict::kLockedOut:
      return "locked out after too many failed codes";
    case TotpVerdict::kMalformed:
      return "malformed code";
  }
  return "unknown";
}

absl::StatusOr<TotpVerdict> VerifyTotp(absl::string_view secret, absl::string_view code,
                                       absl::Time now, TotpState& state, const TotpPolicy& policy) {
  if (secret.empty()) return absl::InvalidArgumentError("a TOTP secret must not be empty");

  // Work on a copy so that an error leaves the caller's state as it was.
  TotpState next = state;
  if (next.locked_until.has_value()) {
    if (now < *next.locked_until) return TotpVerdict::kLockedOut;
    next.locked_until.reset();
    next.failures = 0;
  }
  if (!IsWellFormedCode(code)) {
    state = next;
    return TotpVerdict::kMalformed;
  }

  // Every step in the window is computed and compared, so the time taken does not depend on
  // where (or whether) the code matched.
  const int64_t now_step = TotpStep(now);
  const int drift = std::max(0, policy.drift_steps);
  std::optional<int64_t> fresh_match;
  bool used_match = false;
  for (int64_t step = now_step - drift; step <= now_step + drift; ++step) {
    if (step < 0) continue;
    VPVM_ASSIGN_OR_RETURN(const std::string expected,
                          HotpCode(secret, static_cast<uint64_t>(step), kTotpDigits));
    if (CRYPTO_memcmp(expected.data(), code.data(), expected.size()) != 0) continue;
    if (step > next.last_used_step) {
      fresh_match = step;  // the loop ascends, so this keeps the latest matching step
    } else {
      used_match = true;
    }
  }

  if (fresh_match.has_value()) {
    next.last_used_step = *fresh_match;
    next.failures = 0;
    next.lockouts = 0;
    state = next;
    return TotpVerdict::kAccepted;
  }

  ++next.failures;
  if (next.failures >= std::max(1, policy.max_failures)) {
    // Doubling keeps a guesser who waits out each lockout to a handful of tries a day.
    const int doublings = std::min(next.lockouts, 10);
    next.locked_until = now + policy.lockout * (1 << doublings);
    ++next.lockouts;
  }
  state = next;
  return used_match ? TotpVerdict::kReused : TotpVerdict::kWrongCode;
}

}  // namespace vpvm::auth
