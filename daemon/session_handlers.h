#pragma once

// SessionService: dashboard sign-in with a token secret (and a TOTP code once the token has 2FA),
// sign-out, the caller's session, and 2FA enrolment for the caller's own token. Failed sign-ins
// count toward the client address's throttle like any refused token.

#include "daemon/dispatcher.h"
#include "daemon/sessions.h"
#include "daemon/throttle.h"
#include "libauth/clock.h"
#include "libauth/token_store.h"
#include "vpvm/v1/session_service.pb.h"

namespace vpvm::daemon {

class SessionHandlers {
 public:
  SessionHandlers(auth::TokenStore& store, SessionStore& sessions, FailureThrottle& throttle,
                  const auth::Clock& clock)
      : store_(store), sessions_(sessions), throttle_(throttle), clock_(clock) {}
  void Register(Dispatcher& dispatcher);

 private:
  absl::Status SignIn(const CallContext&, const v1::SignInRequest&, v1::SignInResponse*);
  absl::Status SignOut(const CallContext&, const v1::SignOutRequest&, v1::SignOutResponse*);
  absl::Status GetSession(const CallContext&, const v1::GetSessionRequest&, v1::Session*);
  absl::Status BeginEnrollment(const CallContext&, const v1::BeginTwoFactorEnrollmentRequest&,
                               v1::BeginTwoFactorEnrollmentResponse*);
  absl::Status ConfirmEnrollment(const CallContext&, const v1::ConfirmTwoFactorEnrollmentRequest&,
                                 v1::TwoFactorStatus*);
  absl::Status GetTwoFactorStatus(const CallContext&, const v1::GetTwoFactorStatusRequest&,
                                  v1::TwoFactorStatus*);

  // The token's second factor at sign-in: OK once `code` is accepted.
  absl::Status CheckSignInCode(const auth::Token& token, const std::string& code);

  auth::TokenStore& store_;
  SessionStore& sessions_;
  FailureThrottle& throttle_;
  const auth::Clock& clock_;
};

}  // namespace vpvm::daemon
