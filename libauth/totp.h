#pragma once

// Time-based one-time passwords for dashboard 2FA: RFC 6238 TOTP over RFC 4226 HOTP, with
// HMAC-SHA1, 6 digits, 30-second steps counted from the Unix epoch — the parameters every
// authenticator app uses by default.
//
// A TOTP secret here is the raw key bytes (a binary std::string); Base32 is only its spelling in
// an otpauth:// URI or when typed by hand (see libauth/base32.h).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libauth/random.h"

namespace vpvm::auth {

inline constexpr int kTotpDigits = 6;
inline constexpr int kTotpPeriodSeconds = 30;
inline constexpr absl::Duration kTotpPeriod = absl::Seconds(kTotpPeriodSeconds);
inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation

// A fresh TOTP key of kTotpSecretBytes bytes from `random`.
absl::StatusOr<std::string> GenerateTotpSecret(RandomSource& random);

// The RFC 4226 HOTP value of `counter` under `secret`: HMAC-SHA1, dynamic truncation, the last
// `digits` decimal digits with leading zeros. Refuses an empty secret and `digits` outside 6..8.
absl::StatusOr<std::string> HotpCode(absl::string_view secret, uint64_t counter,
                                     int digits = kTotpDigits);

// The RFC 6238 time step that contains `t` (T0 = 0, 30 s steps); negative before 1970.
int64_t TotpStep(absl::Time t);

// The TOTP code valid at `t`: HotpCode of TotpStep(t). Refuses times before 1970.
absl::StatusOr<std::string> TotpCode(absl::string_view secret, absl::Time t,
                                     int digits = kTotpDigits);

// The key URI that authenticator apps read from a QR code:
//   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
// `secret` is the raw key; it appears Base32-encoded without padding. Issuer and account are
// percent-encoded (RFC 3986; a space becomes %20, a ':' inside either becomes %3A). An empty
// issuer leaves out both the label prefix and the issuer parameter.
std::string OtpAuthUri(absl::string_view issuer, absl::string_view account_label,
                       absl::string_view secret);

// How forgiving VerifyTotp is.
struct TotpPolicy {
  // Steps of clock drift accepted either side of the current one (RFC 6238 §5.2 suggests one).
  int drift_steps = 1;
  // Consecutive refused codes after which the verifier locks (values below 1 count as 1) ...
  int max_failures = 5;
  // ... for this long.
  absl::Duration lockout = absl::Minutes(5);
};

// What VerifyTotp remembers about one enrolment between calls. The caller stores it with the
// enrolment and hands it back on the next attempt; the verifier's promises hold only if every
// attempt sees the state the previous attempt left, so callers serialise attempts per enrolment
// and persist the state before answering.
struct TotpState {
  // The newest step whose code was accepted; codes of this step or any earlier one are refused.
  int64_t last_used_step = -1;
  // Refused well-formed codes since the last acceptance or lockout.
  int failures = 0;
  // Set while locked out.
  std::optional<absl::Time> locked_until;
  // Lockouts since the last acceptance; each one lasts twice as long as the one before.
  int lockouts = 0;
};

enum class TotpVerdict {
  kAccepted,   // the code is right and had not been used; state records its step
  kWrongCode,  // no step within the drift window has this code
  kReused,     // the code belongs to a step at or before the last accepted one
  kLockedOut,  // too many recent failures; the code was not even looked at
  kMalformed,  // not exactly kTotpDigits ASCII digits
};

absl::string_view TotpVerdictName(TotpVerdict verdict);

// Checks a code typed by a user at time `now` and updates `state`.
//
// - While `state.locked_until` is in the future, answers kLockedOut whatever the code. Once it has
//   passed, the lock and the failure count are cleared.
// - A malformed code is refused as kMalformed and does not count towards the lockout: it reveals
//   nothing about the secret.
// - A code is compared (in constant time) with the codes of the steps within
//   `policy.drift_steps` of `now`. If it matches a step after `state.last_used_step`, it is
//   accepted: that step becomes the last used one and the failure count is cleared. So each code
//   works once, and after a code of a later step, codes of earlier steps no longer work.
// - kWrongCode and kReused count as failures. The failure that reaches `policy.max_failures`
//   sets `state.locked_until` to `now + policy.lockout`, doubled for each earlier lockout since
//   the last accepted code (the verdict for that attempt is still kWrongCode or kReused).
//
// Fails, with `state` untouched, only for an empty secret or if the HMAC itself fails.
absl::StatusOr<TotpVerdict> VerifyTotp(absl::string_view secret, absl::string_view code,
                                       absl::Time now, TotpState& state,
                                       const TotpPolicy& policy = {});

}  // namespace vpvm::auth
