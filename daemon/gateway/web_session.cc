#include "daemon/gateway/web_session.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libauth/secret.h"

namespace vpvm::daemon::gateway {
namespace {

std::string Cookie(absl::string_view name, absl::string_view value, bool http_only,
                   int64_t max_age_seconds, bool tls) {
  return absl::StrCat(name, "=", value, "; Path=/; Max-Age=", max_age_seconds,
                      http_only ? "; HttpOnly" : "", "; SameSite=Strict", tls ? "; Secure" : "");
}

bool SameText(absl::string_view a, absl::string_view b) {
  // Constant-time, as for secrets: the CSRF token must not leak through timing either.
  return a.size() == b.size() && auth::DigestsEqual(auth::Sha256Digest(a), auth::Sha256Digest(b));
}

}  // namespace

std::string CookieValue(const HttpRequest& request, absl::string_view name) {
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    for (absl::string_view pair : absl::StrSplit(value, ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
        return std::string(pair);
      }
    }
  }
  return "";
}

absl::Status AttachSession(const HttpRequest& request, SessionStore& sessions, IncomingCall& call) {
  if (call.presented_secret.has_value()) return absl::OkStatus();
  const std::string id = CookieValue(request, kSessionCookie);
  if (id.empty()) return absl::OkStatus();
  std::optional<SessionStore::Session> session = sessions.Find(id);
  if (!session.has_value()) {
    return absl::UnauthenticatedError("your dashboard session has ended; sign in again");
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      !SameText(request.Header("x-csrf-token"), session->csrf_token)) {
    return absl::PermissionDeniedError(
        "a change from the dashboard needs the X-CSRF-Token header of its session");
  }
  call.session_id = id;
  call.session_token_id = session->token_id;
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> SessionCookies(
    const std::string& session_id, const SessionStore::Session& session, absl::Duration lifetime,
    bool tls) {
  const int64_t max_age = absl::ToInt64Seconds(lifetime);
  return {{"Set-Cookie", Cookie(kSessionCookie, session_id, true, max_age, tls)},
          {"Set-Cookie", Cookie(kCsrfCookie, session.csrf_token, false, max_age, tls)}};
}

std::vector<std::pair<std::string, std::string>> ClearedSessionCookies(bool tls) {
  return {{"Set-Cookie", Cookie(kSessionCookie, "", true, 0, tls)},
          {"Set-Cookie", Cookie(kCsrfCookie, "", false, 0, tls)}};
}

}  // namespace vpvm::daemon::gateway
