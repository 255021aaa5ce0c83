#include "libauth/totp.h"

#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libauth/base32.h"
#include "libauth/clock.h"
#include "libauth/random.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The key of RFC 4226 Appendix D and of RFC 6238 Appendix B's SHA-1 rows.
constexpr absl::string_view kRfcSecret = "12345678901234567890";

// Hands out 0, 1, 2, ... so that generated keys are predictable.
class FakeRandom final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override {
    for (uint8_t& byte : out) byte = next_++;
    return absl::OkStatus();
  }

 private:
  uint8_t next_ = 0;
};

class StubFailingRandom final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t>) override {
    return absl::UnavailableError("no entropy today");
  }
};

absl::Time At(int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }

std::string Code(absl::string_view secret, absl::Time t) {
  absl::StatusOr<std::string> code = TotpCode(secret, t);
  EXPECT_TRUE(code.ok()) << code.status();
  return code.ok() ? *code : std::string();
}

TotpVerdict Verify(absl::string_view secret, absl::string_view code, absl::Time now,
                   TotpState& state, const TotpPolicy& policy = {}) {
  absl::StatusOr<TotpVerdict> verdict = VerifyTotp(secret, code, now, state, policy);
  EXPECT_TRUE(verdict.ok()) << verdict.status();
  return verdict.ok() ? *verdict : TotpVerdict::kMalformed;
}

TEST(TotpCodeTest, MatchesRfc4226HotpVectors) {
  const std::vector<std::string> expected = {"755224", "287082", "359152", "969429", "338314",
                                             "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < expected.size(); ++counter) {
    absl::StatusOr<std::string> code = HotpCode(kRfcSecret, counter);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, expected[counter]) << "counter " << counter;
  }
}

TEST(TotpCodeTest, MatchesRfc6238Sha1VectorsWithEightDigits) {
  const std::vector<std::pair<int64_t, std::string>> vectors = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [seconds, expected] : vectors) {
    absl::StatusOr<std::string> code = TotpCode(kRfcSecret, At(seconds), 8);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, expected) << "T = " << seconds;
  }
}

TEST(TotpCodeTest, SixDigitCodesAreTheLastSixOfTheEightDigitOnes) {
  EXPECT_EQ(Code(kRfcSecret, At(1111111109)), "081804");
  EXPECT_EQ(Code(kRfcSecret, At(59)), "287082");
}

TEST(TotpCodeTest, StepsAreThirtySecondsFromTheEpoch) {
  EXPECT_EQ(TotpStep(At(0)), 0);
  EXPECT_EQ(TotpStep(At(29)), 0);
  EXPECT_EQ(TotpStep(At(30)), 1);
  EXPECT_EQ(TotpStep(At(59) + absl::Milliseconds(999)), 1);
  EXPECT_EQ(TotpStep(At(-1)), -1);
  EXPECT_EQ(Code(kRfcSecret, At(30)), Code(kRfcSecret, At(59)));
  EXPECT_NE(Code(kRfcSecret, At(59)), Code(kRfcSecret, At(60)));
}

TEST(TotpCodeTest, RefusesEmptySecretBadDigitCountsAndTimesBefore1970) {
  EXPECT_EQ(HotpCode("", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HotpCode(kRfcSecret, 0, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HotpCode(kRfcSecret, 0, 9).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TotpCode(kRfcSecret, At(-1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TotpSecretTest, GeneratesTwentyBytesFromTheRandomSource) {
  FakeRandom random;
  absl::StatusOr<std::string> secret = GenerateTotpSecret(random);
  ASSERT_TRUE(secret.ok()) << secret.status();
  ASSERT_EQ(secret->size(), 20u);
  for (size_t i = 0; i < secret->size(); ++i) {
    EXPECT_EQ(static_cast<uint8_t>((*secret)[i]), i);
  }
}

TEST(TotpSecretTest, OsRandomSecretsDiffer) {
  OsRandom random;
  absl::StatusOr<std::string> a = GenerateTotpSecret(random);
  absl::StatusOr<std::string> b = GenerateTotpSecret(random);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), kTotpSecretBytes);
  EXPECT_NE(*a, *b);
}

TEST(TotpSecretTest, PassesOnRandomSourceFailure) {
  StubFailingRandom random;
  EXPECT_EQ(GenerateTotpSecret(random).status().code(), absl::StatusCode::kUnavailable);
}

TEST(TotpUriTest, HasTheKeyUriFormatAuthenticatorAppsRead) {
  EXPECT_EQ(OtpAuthUri("vpvm", "ci-runner", kRfcSecret),
            "otpauth://totp/vpvm:ci-runner?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=vpvm&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpUriTest, PercentEncodesIssuerAndAccount) {
  EXPECT_EQ(OtpAuthUri("ACME Co", "alice@example.com", kRfcSecret),
            "otpauth://totp/ACME%20Co:alice%40example.com"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
  // A ':' inside either part must not read as the separator; '&', '?', '#', '/' and '+' must not
  // end or split the label or a parameter; non-ASCII goes out as its UTF-8 bytes.
  const std::string uri = OtpAuthUri("a:b&c", "x/y?z#1+2 \xC3\xA9", "k");
  EXPECT_THAT(uri, StartsWith("otpauth://totp/a%3Ab%26c:x%2Fy%3Fz%231%2B2%20%C3%A9?secret=NM&"));
  EXPECT_THAT(uri, HasSubstr("&issuer=a%3Ab%26c&"));
  // Unreserved characters stay as they are.
  EXPECT_THAT(OtpAuthUri("", "A-z_0.9~", "k"), StartsWith("otpauth://totp/A-z_0.9~?secret=NM&"));
}

TEST(TotpUriTest, EmptyIssuerLeavesOutPrefixAndParameter) {
  const std::string uri = OtpAuthUri("", "bob", kRfcSecret);
  EXPECT_THAT(uri, StartsWith("otpauth://totp/bob?secret="));
  EXPECT_THAT(uri, ::testing::Not(HasSubstr("issuer=")));
}

TEST(TotpUriTest, SecretDecodesBackToTheKey) {
  OsRandom random;
  absl::StatusOr<std::string> secret = GenerateTotpSecret(random);
  ASSERT_TRUE(secret.ok());
  const std::string uri = OtpAuthUri("vpvm", "t", *secret);
  const size_t begin = uri.find("secret=") + 7;
  const std::string encoded = uri.substr(begin, uri.find('&', begin) - begin);
  EXPECT_EQ(encoded.find('='), std::string::npos);  // no padding in the URI
  absl::StatusOr<std::string> decoded = Base32Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, *secret);
}

TEST(TotpVerifyTest, AcceptsTheCurrentCode) {
  const absl::Time now = At(1700000000);
  TotpState state;
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now), now, state), TotpVerdict::kAccepted);
  EXPECT_EQ(state.last_used_step, TotpStep(now));
  EXPECT_EQ(state.failures, 0);
  EXPECT_FALSE(state.locked_until.has_value());
}

TEST(TotpVerifyTest, AcceptsOneStepOfDriftEitherWay) {
  const absl::Time now = At(1700000000);
  for (absl::Duration drift : {-kTotpPeriod, kTotpPeriod}) {
    TotpState state;
    EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now + drift), now, state), TotpVerdict::kAccepted)
        << drift;
    EXPECT_EQ(state.last_used_step, TotpStep(now + drift));
  }
}

TEST(TotpVerifyTest, RefusesTwoStepsOfDriftEitherWay) {
  const absl::Time now = At(1700000000);
  for (absl::Duration drift : {-2 * kTotpPeriod, 2 * kTotpPeriod}) {
    TotpState state;
    EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now + drift), now, state),
              TotpVerdict::kWrongCode)
        << drift;
    EXPECT_EQ(state.failures, 1);
    EXPECT_EQ(state.last_used_step, -1);
  }
}

TEST(TotpVerifyTest, DriftWindowFollowsThePolicy) {
  const absl::Time now = At(1700000000);
  TotpState state;
  TotpPolicy strict;
  strict.drift_steps = 0;
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now - kTotpPeriod), now, state, strict),
            TotpVerdict::kWrongCode);
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now), now, state, strict), TotpVerdict::kAccepted);
}

TEST(TotpVerifyTest, RefusesReplayOfTheSameCode) {
  const absl::Time now = At(1700000000);
  const std::string code = Code(kRfcSecret, now);
  TotpState state;
  ASSERT_EQ(Verify(kRfcSecret, code, now, state), TotpVerdict::kAccepted);
  EXPECT_EQ(Verify(kRfcSecret, code, now, state), TotpVerdict::kReused);
  // Still refused a step later, while the code is inside the drift window.
  EXPECT_EQ(Verify(kRfcSecret, code, now + kTotpPeriod, state), TotpVerdict::kReused);
  EXPECT_EQ(state.failures, 2);
}

TEST(TotpVerifyTest, RefusesAnEarlierStepOnceALaterOneWasUsed) {
  const absl::Time now = At(1700000000);
  TotpState state;
  ASSERT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now + kTotpPeriod), now, state),
            TotpVerdict::kAccepted);
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now), now, state), TotpVerdict::kReused);
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now - kTotpPeriod), now, state),
            TotpVerdict::kReused);
  // The next step's code is still good once its time comes.
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now + 2 * kTotpPeriod), now + kTotpPeriod, state),
            TotpVerdict::kAccepted);
}

TEST(TotpVerifyTest, SuccessResetsFailures) {
  const absl::Time now = At(1700000000);
  TotpState state;
  EXPECT_EQ(Verify(kRfcSecret, "000000", now, state), TotpVerdict::kWrongCode);
  EXPECT_EQ(Verify(kRfcSecret, "000001", now, state), TotpVerdict::kWrongCode);
  EXPECT_EQ(state.failures, 2);
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, now), now, state), TotpVerdict::kAccepted);
  EXPECT_EQ(state.failures, 0);
}

TEST(TotpVerifyTest, LocksOutAfterMaxFailuresEvenForTheRightCodeThenLifts) {
  FakeClock clock(At(1700000000));
  TotpPolicy policy;  // 5 failures, 5 minutes
  TotpState state;
  const std::string wrong = "000000";
  ASSERT_NE(Code(kRfcSecret, clock.Now()), wrong);

  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(Verify(kRfcSecret, wrong, clock.Now(), state, policy), TotpVerdict::kWrongCode);
    EXPECT_EQ(state.failures, i);
  }
  ASSERT_TRUE(state.locked_until.has_value());
  EXPECT_EQ(*state.locked_until, clock.Now() + absl::Minutes(5));

  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, clock.Now()), clock.Now(), state, policy),
            TotpVerdict::kLockedOut);
  EXPECT_EQ(Verify(kRfcSecret, "12a456", clock.Now(), state, policy), TotpVerdict::kLockedOut);
  clock.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, clock.Now()), clock.Now(), state, policy),
            TotpVerdict::kLockedOut);
  EXPECT_EQ(state.last_used_step, -1);

  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, clock.Now()), clock.Now(), state, policy),
            TotpVerdict::kAccepted);
  EXPECT_FALSE(state.locked_until.has_value());
  EXPECT_EQ(state.failures, 0);
}

TEST(TotpVerifyTest, LockoutFollowsThePolicyAndCountsReplays) {
  FakeClock clock(At(1700000000));
  TotpPolicy policy;
  policy.max_failures = 2;
  policy.lockout = absl::Seconds(90);
  TotpState state;
  const std::string code = Code(kRfcSecret, clock.Now());
  ASSERT_EQ(Verify(kRfcSecret, code, clock.Now(), state, policy), TotpVerdict::kAccepted);
  EXPECT_EQ(Verify(kRfcSecret, code, clock.Now(), state, policy), TotpVerdict::kReused);
  EXPECT_EQ(Verify(kRfcSecret, code, clock.Now(), state, policy), TotpVerdict::kReused);
  ASSERT_TRUE(state.locked_until.has_value());
  EXPECT_EQ(*state.locked_until, clock.Now() + absl::Seconds(90));

  clock.Advance(absl::Seconds(90));
  EXPECT_EQ(Verify(kRfcSecret, Code(kRfcSecret, clock.Now()), clock.Now(), state, policy),
            TotpVerdict::kAccepted);
}

TEST(TotpVerifyTest, RefusesMalformedCodesWithoutCountingThem) {
  const absl::Time now = At(1700000000);
  const std::string good = Code(kRfcSecret, now);
  TotpState state;
  for (absl::string_view code : {"12345", "1234567", "12a456", " 123456", "123456 ", "", "+12345",
                                 "-12345", "12 456", "１２３４５６"}) {
    EXPECT_EQ(Verify(kRfcSecret, code, now, state), TotpVerdict::kMalformed) << "'" << code << "'";
  }
  // Neither the good code with a space nor its first five digits count as the code.
  EXPECT_EQ(Verify(kRfcSecret, absl::StrCat(" ", good), now, state), TotpVerdict::kMalformed);
  EXPECT_EQ(Verify(kRfcSecret, good.substr(0, 5), now, state), TotpVerdict::kMalformed);
  EXPECT_EQ(state.failures, 0);
  EXPECT_EQ(state.last_used_step, -1);
  EXPECT_EQ(Verify(kRfcSecret, good, now, state), TotpVerdict::kAccepted);
}

TEST(TotpVerifyTest, EmptySecretIsAnErrorAndLeavesStateAlone) {
  TotpState state;
  state.failures = 3;
  absl::StatusOr<TotpVerdict> verdict = VerifyTotp("", "123456", At(1700000000), state);
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.failures, 3);
}

TEST(TotpVerifyTest, VerdictsHaveNames) {
  EXPECT_EQ(TotpVerdictName(TotpVerdict::kAccepted), "accepted");
  EXPECT_EQ(TotpVerdictName(TotpVerdict::kReused), "code already used");
}

// Runs Debian's oathtool (OATH Toolkit) and returns its trimmed output.
std::string OathtoolTotp(absl::string_view base32, int64_t unix_seconds, int digits) {
  const std::string command = absl::StrCat("/usr/bin/oathtool --totp -b -d ", digits, " -N @",
                                           unix_seconds, " ", base32, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status != 0) return absl::StrCat("oathtool exited with ", status, ": ", output);
  return std::string(absl::StripAsciiWhitespace(output));
}

TEST(TotpOathtoolTest, CodesMatchOathtool) {
  ASSERT_EQ(access("/usr/bin/oathtool", X_OK), 0)
      << "/usr/bin/oathtool is missing; run scripts/setup";

  std::mt19937 generator(20240611);
  std::vector<std::string> secrets;
  secrets.emplace_back(kRfcSecret);
  for (size_t size : {10, 16, 20, 32, 70}) {  // 70 bytes: longer than an HMAC-SHA1 block
    std::string secret(size, '\0');
    for (char& c : secret) c = static_cast<char>(generator() & 0xff);
    secrets.push_back(secret);
  }
  const std::vector<int64_t> times = {0,          29,         30,         59,         1111111109,
                                      1234567890, 1700000015, 2000000000, 4102444800, 20000000000};

  for (const std::string& secret : secrets) {
    const std::string base32 = Base32Encode(secret);
    for (int64_t t : times) {
      for (int digits : {6, 8}) {
        absl::StatusOr<std::string> ours = TotpCode(secret, At(t), digits);
        ASSERT_TRUE(ours.ok()) << ours.status();
        EXPECT_EQ(*ours, OathtoolTotp(base32, t, digits))
            << "secret " << base32 << ", T = " << t << ", " << digits << " digits";
      }
    }
  }
}

}  // namespace
}  // namespace vpvm::auth

namespace vpvm::auth {
namespace {

TEST(TotpLockoutTest, EachConsecutiveLockoutLastsTwiceAsLong) {
  const std::string secret = "12345678901234567890";
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  TotpPolicy policy;
  policy.max_failures = 2;
  policy.lockout = absl::Minutes(5);
  TotpState state;
  absl::Time now = start;
  for (absl::Duration expected : {absl::Minutes(5), absl::Minutes(10), absl::Minutes(20)}) {
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(VerifyTotp(secret, "000000", now, state, policy).ok());
    ASSERT_TRUE(state.locked_until.has_value());
    EXPECT_EQ(*state.locked_until - now, expected);
    now = *state.locked_until;
  }
  // A correct code after the lockouts ends the escalation.
  ASSERT_EQ(*VerifyTotp(secret, *TotpCode(secret, now), now, state, policy),
            TotpVerdict::kAccepted);
  EXPECT_EQ(state.lockouts, 0);
}

}  // namespace
}  // namespace vpvm::auth
