#pragma once

// Dashboard sessions on HTTP: the cookies that carry them and the checks a cookie-borne call must
// pass. The session id travels only in `vpvm_session` (HttpOnly, SameSite=Strict, Secure under
// TLS), never in a body the page's script could read. Every call that is not a GET must also
// repeat the session's CSRF token, which the page reads from the `vpvm_csrf` cookie, in the
// X-CSRF-Token header: another site can make a browser send the cookies, but cannot read them.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "daemon/dispatcher.h"
#include "daemon/gateway/http_server.h"
#include "daemon/sessions.h"

namespace vpvm::daemon::gateway {

inline constexpr char kSessionCookie[] = "vpvm_session";
inline constexpr char kCsrfCookie[] = "vpvm_csrf";

// The value of cookie `name` in the request's Cookie headers; empty when absent.
std::string CookieValue(const HttpRequest& request, absl::string_view name);

// For a call without a token but with a session cookie: Unauthenticated once the session ended,
// PermissionDenied for a change without the right X-CSRF-Token; else fills the call's session.
// A call with neither is left alone (the gate refuses it when it needs a token).
absl::Status AttachSession(const HttpRequest& request, SessionStore& sessions, IncomingCall& call);

// Set-Cookie headers opening `session_id`, and the ones ending the session in the browser.
std::vector<std::pair<std::string, std::string>> SessionCookies(
    const std::string& session_id, const SessionStore::Session& session, absl::Duration lifetime,
    bool tls);
std::vector<std::pair<std::string, std::string>> ClearedSessionCookies(bool tls);

}  // namespace vpvm::daemon::gateway
