#include "daemon/session_handlers.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/proto_convert.h"
#include "daemon/qr_code.h"
#include "libauth/base32.h"
#include "libauth/totp.h"

namespace vpvm::daemon {
namespace {

constexpr char kService[] = "vpvm.v1.SessionService.";
constexpr char kIssuer[] = "vpvm";

void FillSession(const SessionStore::Session& session, const auth::Token& token, v1::Session* out) {
  out->set_token_id(token.id);
  out->set_label(token.label);
  out->set_is_master(token.is_master);
  *out->mutable_create_time() = ToTimestamp(session.create_time);
  *out->mutable_expire_time() = ToTimestamp(session.expire_time);
  out->set_two_factor_verified(session.two_factor_verified);
}

absl::Status NoSession() {
  return absl::FailedPreconditionError(
      "this call came with a token, not a dashboard session: sign in first");
}

}  // namespace

void SessionHandlers::Register(Dispatcher& d) {
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  auto name = [](absl::string_view method) { return absl::StrCat(kService, method); };
  d.Handle<v1::SignInRequest, v1::SignInResponse>(
      name("SignIn"), std::bind(&SessionHandlers::SignIn, this, _1, _2, _3));
  d.Handle<v1::SignOutRequest, v1::SignOutResponse>(
      name("SignOut"), std::bind(&SessionHandlers::SignOut, this, _1, _2, _3));
  d.Handle<v1::GetSessionRequest, v1::Session>(
      name("GetSession"), std::bind(&SessionHandlers::GetSession, this, _1, _2, _3));
  d.Handle<v1::BeginTwoFactorEnrollmentRequest, v1::BeginTwoFactorEnrollmentResponse>(
      name("BeginTwoFactorEnrollment"),
      std::bind(&SessionHandlers::BeginEnrollment, this, _1, _2, _3));
  d.Handle<v1::ConfirmTwoFactorEnrollmentRequest, v1::TwoFactorStatus>(
      name("ConfirmTwoFactorEnrollment"),
      std::bind(&SessionHandlers::ConfirmEnrollment, this, _1, _2, _3));
  d.Handle<v1::GetTwoFactorStatusRequest, v1::TwoFactorStatus>(
      name("GetTwoFactorStatus"),
      std::bind(&SessionHandlers::GetTwoFactorStatus, this, _1, _2, _3));
}

absl::Status SessionHandlers::SignIn(const CallContext& context, const v1::SignInRequest& request,
                                     v1::SignInResponse* response) {
  absl::StatusOr<std::shared_ptr<const auth::Token>> token =
      VerifyThrottled(store_, throttle_, context.peer, request.secret());
  if (!token.ok()) return token.status();
  // The secret verified: now it may be said why the token is refused.
  const auth::TokenStatus status = (*token)->StatusAt(clock_.Now());
  if (status != auth::TokenStatus::kActive) {
    return absl::UnauthenticatedError(
        absl::StrCat("this token is ", auth::TokenStatusName(status)));
  }
  const bool two_factor = (*token)->two_factor_enabled;
  if (two_factor) {
    if (request.totp_code().empty()) {
      response->set_two_factor_required(true);
      return absl::OkStatus();
    }
    VPVM_RETURN_IF_ERROR(CheckSignInCode(**token, request.totp_code()));
  }
  VPVM_ASSIGN_OR_RETURN(auto opened, sessions_.Open((*token)->id, two_factor));
  response->set_session_id(opened.first);
  FillSession(opened.second, **token, response->mutable_session());
  Logger("auth")->info("dashboard sign-in of token {} from {}", (*token)->id, context.peer);
  return absl::OkStatus();
}

absl::Status SessionHandlers::CheckSignInCode(const auth::Token& token, const std::string& code) {
  VPVM_ASSIGN_OR_RETURN(auth::TotpVerdict verdict, store_.VerifyTwoFactor(token.id, code));
  VPVM_ASSIGN_OR_RETURN(std::optional<absl::Time> locked, store_.TwoFactorLockedUntil(token.id));
  const std::string lock_text =
      locked.has_value()
          ? absl::StrCat(
                "; too many wrong codes in a row, so sign-in with this token is locked "
                "until ",
                absl::FormatTime("%H:%M:%S UTC", *locked, absl::UTCTimeZone()))
          : "";
  switch (verdict) {
    case auth::TotpVerdict::kAccepted:
      return absl::OkStatus();
    case auth::TotpVerdict::kMalformed:
      return absl::InvalidArgumentError("the code is the 6 digits your authenticator app shows");
    case auth::TotpVerdict::kReused:
      return absl::UnauthenticatedError(
          absl::StrCat("this code was used already; wait for the next one", lock_text));
    case auth::TotpVerdict::kWrongCode:
      return absl::UnauthenticatedError(absl::StrCat("wrong code", lock_text));
    case auth::TotpVerdict::kLockedOut:
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many wrong codes in a row: sign-in with this token is locked until ",
          absl::FormatTime("%H:%M:%S UTC", locked.value_or(clock_.Now()), absl::UTCTimeZone())));
  }
  return absl::InternalError("unknown TOTP verdict");
}

absl::Status SessionHandlers::SignOut(const CallContext& context, const v1::SignOutRequest&,
                                      v1::SignOutResponse*) {
  if (context.session_id.empty()) return NoSession();
  sessions_.End(context.session_id);
  return absl::OkStatus();
}

absl::Status SessionHandlers::GetSession(const CallContext& context, const v1::GetSessionRequest&,
                                         v1::Session* response) {
  if (context.session_id.empty()) return NoSession();
  std::optional<SessionStore::Session> session = sessions_.Find(context.session_id);
  if (!session.has_value()) return absl::UnauthenticatedError("this session has ended");
  FillSession(*session, *context.caller, response);
  return absl::OkStatus();
}

absl::Status SessionHandlers::BeginEnrollment(const CallContext& context,
                                              const v1::BeginTwoFactorEnrollmentRequest&,
                                              v1::BeginTwoFactorEnrollmentResponse* response) {
  VPVM_ASSIGN_OR_RETURN(std::string secret, store_.BeginTwoFactor(context.caller->id));
  const std::string account = absl::StrCat(context.caller->label, " (", context.caller->id, ")");
  response->set_otpauth_uri(auth::OtpAuthUri(kIssuer, account, secret));
  response->set_secret_base32(auth::Base32Encode(secret));
  VPVM_ASSIGN_OR_RETURN(*response->mutable_qr_code_svg(), QrCodeSvg(response->otpauth_uri()));
  return absl::OkStatus();
}

absl::Status SessionHandlers::ConfirmEnrollment(
    const CallContext& context, const v1::ConfirmTwoFactorEnrollmentRequest& request,
    v1::TwoFactorStatus* response) {
  VPVM_ASSIGN_OR_RETURN(auth::TotpVerdict verdict,
                        store_.ConfirmTwoFactor(context.caller->id, request.code()));
  if (verdict == auth::TotpVerdict::kMalformed) {
    return absl::InvalidArgumentError("the code is the 6 digits your authenticator app shows");
  }
  if (verdict == auth::TotpVerdict::kLockedOut) {
    return absl::ResourceExhaustedError("too many wrong codes in a row; wait a few minutes");
  }
  if (verdict != auth::TotpVerdict::kAccepted) {
    return absl::InvalidArgumentError(
        "wrong code: enter the code your authenticator app shows now for this account");
  }
  response->set_enabled(true);
  Logger("auth")->info("token {} turned on two-factor sign-in", context.caller->id);
  return absl::OkStatus();
}

absl::Status SessionHandlers::GetTwoFactorStatus(const CallContext& context,
                                                 const v1::GetTwoFactorStatusRequest&,
                                                 v1::TwoFactorStatus* response) {
  VPVM_ASSIGN_OR_RETURN(auth::TokenStore::TwoFactorStatus status,
                        store_.GetTwoFactorStatus(context.caller->id));
  response->set_enabled(status.enabled);
  response->set_enrollment_pending(status.pending);
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
