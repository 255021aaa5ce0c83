// TokenStore's two-factor enrolments on a real SQLite file: enrolment finishes only with a right
// code, a code works once, wrong codes lock sign-in, all of it survives reopening, and the master
// turning 2FA off clears it.

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libauth/token_store.h"
#include "libauth/totp.h"
#include "tests/unit/test_util.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

class TokenStoreTotpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    TokenSpec spec;
    spec.label = "Dashboard user";
    spec.access_level = AccessLevel::kOperator;
    spec.vm_scope = VmScope{true, {}};
    auto issued = store_->Create(spec);
    ASSERT_TRUE(issued.ok()) << issued.status();
    id_ = issued->token.id;
  }

  void Reopen() {
    store_.reset();
    auto opened = TokenStore::Open(dir_.File("vpvm.db"), clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // Begins enrolment and returns the raw secret.
  std::string Begin() {
    absl::StatusOr<std::string> secret = store_->BeginTwoFactor(id_);
    EXPECT_TRUE(secret.ok()) << secret.status();
    return secret.value_or("");
  }

  std::string CodeAt(const std::string& secret, absl::Duration offset = absl::ZeroDuration()) {
    return TotpCode(secret, clock_.Now() + offset).value();
  }

  // A well-formed code that is not the one of `secret` at any accepted step.
  std::string WrongCode(const std::string& secret) {
    for (int candidate = 0;; ++candidate) {
      std::string code = absl::StrFormat("%06d", candidate);
      bool valid = false;
      for (int step = -1; step <= 1; ++step) {
        valid |= code == CodeAt(secret, step * kTotpPeriod);
      }
      if (!valid) return code;
    }
  }

  testing::TempDir dir_;
  FakeClock clock_{kStart};
  OsRandom random_;
  std::unique_ptr<TokenStore> store_;
  std::string id_;
};

TEST_F(TokenStoreTotpTest, EnrolmentFinishesOnlyWithARightCode) {
  const std::string secret = Begin();
  EXPECT_EQ(secret.size(), 20u);
  EXPECT_TRUE(store_->GetTwoFactorStatus(id_)->pending);
  EXPECT_FALSE(store_->GetTwoFactorStatus(id_)->enabled);

  EXPECT_EQ(*store_->ConfirmTwoFactor(id_, WrongCode(secret)), TotpVerdict::kWrongCode);
  EXPECT_FALSE(store_->Lookup(id_)->two_factor_enabled);
  EXPECT_EQ(*store_->ConfirmTwoFactor(id_, "12ab56"), TotpVerdict::kMalformed);

  EXPECT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  EXPECT_TRUE(store_->Lookup(id_)->two_factor_enabled);
  EXPECT_TRUE(store_->GetTwoFactorStatus(id_)->enabled);
  EXPECT_FALSE(store_->GetTwoFactorStatus(id_)->pending);
}

TEST_F(TokenStoreTotpTest, ConfirmWithoutEnrolmentAndBeginWhileOnAreRefused) {
  EXPECT_EQ(store_->ConfirmTwoFactor(id_, "123456").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->VerifyTwoFactor(id_, "123456").status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string secret = Begin();
  ASSERT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  absl::StatusOr<std::string> again = store_->BeginTwoFactor(id_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already"));
  EXPECT_EQ(store_->BeginTwoFactor("tok_nonexistent").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TokenStoreTotpTest, ACodeWorksOnceEvenAfterReopening) {
  const std::string secret = Begin();
  ASSERT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  const std::string next = CodeAt(secret, kTotpPeriod);
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, next), TotpVerdict::kAccepted);
  Reopen();
  EXPECT_TRUE(store_->Lookup(id_)->two_factor_enabled);
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, next), TotpVerdict::kReused);
  // The enrolment's own code, an earlier step, is spent too.
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, CodeAt(secret)), TotpVerdict::kReused);
  clock_.Advance(2 * kTotpPeriod);
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
}

TEST_F(TokenStoreTotpTest, WrongCodesLockSignInAcrossReopeningUntilTheLockPasses) {
  const std::string secret = Begin();
  ASSERT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  clock_.Advance(kTotpPeriod);
  for (int i = 0; i < TotpPolicy{}.max_failures; ++i) {
    EXPECT_EQ(*store_->VerifyTwoFactor(id_, WrongCode(secret)), TotpVerdict::kWrongCode);
  }
  ASSERT_TRUE(store_->TwoFactorLockedUntil(id_)->has_value());
  Reopen();
  // Locked: even the right code is not looked at.
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, CodeAt(secret)), TotpVerdict::kLockedOut);
  EXPECT_TRUE(store_->TwoFactorLockedUntil(id_)->has_value());

  clock_.Advance(TotpPolicy{}.lockout + absl::Seconds(1));
  EXPECT_FALSE(store_->TwoFactorLockedUntil(id_)->has_value());
  EXPECT_EQ(*store_->VerifyTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
}

TEST_F(TokenStoreTotpTest, DisablingTwoFactorClearsTheEnrolment) {
  const std::string secret = Begin();
  ASSERT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  ASSERT_TRUE(store_->DisableTwoFactor(id_).ok());
  EXPECT_FALSE(store_->Lookup(id_)->two_factor_enabled);
  EXPECT_FALSE(store_->GetTwoFactorStatus(id_)->enabled);
  EXPECT_FALSE(store_->GetTwoFactorStatus(id_)->pending);
  Reopen();
  EXPECT_FALSE(store_->Lookup(id_)->two_factor_enabled);
  // A new enrolment gets a new secret.
  EXPECT_NE(Begin(), secret);
}

TEST_F(TokenStoreTotpTest, RevokedTokenTakesItsEnrolmentAlong) {
  const std::string secret = Begin();
  ASSERT_EQ(*store_->ConfirmTwoFactor(id_, CodeAt(secret)), TotpVerdict::kAccepted);
  ASSERT_TRUE(store_->Revoke(id_).ok());
  EXPECT_EQ(store_->Lookup(id_), nullptr);
  EXPECT_EQ(store_->GetTwoFactorStatus(id_).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vpvm::auth
