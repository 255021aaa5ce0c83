#include "daemon/gateway/gateway.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/gateway/transcoder.h"
#include "daemon/gateway/web_session.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "vpvm/v1/session_service.pb.h"

namespace vpvm::daemon::gateway {
namespace {

constexpr absl::string_view kSignIn = "vpvm.v1.SessionService.SignIn";
constexpr absl::string_view kSignOut = "vpvm.v1.SessionService.SignOut";

std::string StatusName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  for (char& c : name) c = c == ' ' ? '_' : absl::ascii_toupper(c);
  return name;
}

std::string HttpStatusName(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 431:
      return "REQUEST_HEADER_FIELDS_TOO_LARGE";
    default:
      return "HTTP_ERROR";
  }
}

HttpResponse JsonError(int http_status, const std::string& status_name,
                       const std::string& message) {
  HttpResponse response;
  response.status = http_status;
  nlohmann::json body = {
      {"error", {{"code", http_status}, {"status", status_name}, {"message", message}}}};
  response.body = body.dump() + "\n";
  return response;
}

// A bare, normalised IP address, or "" when `text` is none.
std::string NormalisedAddress(absl::string_view text) {
  std::string address(absl::StripAsciiWhitespace(text));
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  unsigned char buffer[sizeof(struct in6_addr)];
  char printed[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, address.c_str(), buffer) == 1 &&
        inet_ntop(family, buffer, printed, sizeof(printed)) != nullptr) {
      return printed;
    }
  }
  return "";
}

std::optional<std::string> PresentedSecret(const HttpRequest& request) {
  std::string token = request.Header("x-auth-token");
  if (!token.empty()) return token;
  const std::string authorization = request.Header("authorization");
  if (absl::StartsWithIgnoreCase(authorization, "bearer ")) {
    return std::string(absl::StripAsciiWhitespace(authorization.substr(7)));
  }
  return std::nullopt;
}

}  // namespace

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  return JsonError(HttpStatusFor(status.code()), StatusName(status.code()),
                   std::string(status.message()));
}

HttpResponse HttpErrorResponse(int http_status, const std::string& message) {
  return JsonError(http_status, HttpStatusName(http_status), message);
}

Gateway::Gateway(RouteTable routes, Dispatcher& dispatcher, FailureThrottle& throttle,
                 SessionStore& sessions, GatewayOptions options)
    : routes_(std::move(routes)),
      dispatcher_(dispatcher),
      throttle_(throttle),
      documents_(std::move(options.documents)),
      static_files_(std::move(options.static_files)),
      sessions_(sessions) {
  for (const std::string& proxy : options.trusted_proxies) {
    const std::string address = NormalisedAddress(proxy);
    if (!address.empty()) trusted_proxies_.insert(address);
  }
}

std::string Gateway::ClientAddress(const HttpRequest& request) const {
  const std::string peer = NormalisedAddress(request.peer);
  if (!trusted_proxies_.contains(peer)) return peer.empty() ? request.peer : peer;
  const std::string forwarded = request.Header("x-forwarded-for");
  if (forwarded.empty()) return peer;
  // From the right: each trusted proxy appended what it saw; the first untrusted hop is the
  // client. A malformed entry ends the walk at the last address that was trusted to say it.
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded, ',');
  std::string client = peer;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const std::string address = NormalisedAddress(*hop);
    if (address.empty()) break;
    client = address;
    if (!trusted_proxies_.contains(address)) break;
  }
  return client;
}

HttpResponse Gateway::Handle(const HttpRequest& request) const {
  if (auto document = documents_.find(request.path);
      document != documents_.end() && request.method == "GET") {
    HttpResponse response;
    response.body = document->second;
    return response;
  }
  if (auto file = static_files_.find(request.path);
      file != static_files_.end() && request.method == "GET") {
    HttpResponse response;
    response.content_type = file->second.first;
    response.body = file->second.second;
    // The pages load nothing from elsewhere, and are never framed.
    response.headers = {{"Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
                        {"X-Frame-Options", "DENY"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"},
                        {"Cache-Control", "no-store"}};
    return response;
  }

  std::vector<std::string> allowed;
  absl::StatusOr<RouteMatch> match = routes_.Find(request.method, request.path, &allowed);
  if (absl::IsNotFound(match.status())) {
    return HttpErrorResponse(404, absl::StrCat("no route for ", request.path));
  }
  if (!match.ok()) {
    HttpResponse response =
        HttpErrorResponse(405, absl::StrCat(request.method, " is not allowed on ", request.path,
                                            "; use ", absl::StrJoin(allowed, " or ")));
    response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return response;
  }
  return Call(*match, request);
}

HttpResponse Gateway::Call(const RouteMatch& match, const HttpRequest& request) const {
  const google::protobuf::MethodDescriptor* method = match.route->method;
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  const google::protobuf::Message* response_prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->output_type());
  std::unique_ptr<google::protobuf::Message> rpc_request(prototype->New());
  std::unique_ptr<google::protobuf::Message> rpc_response(response_prototype->New());
  if (absl::Status built = BuildRequest(match, request.query, request.body, rpc_request.get());
      !built.ok()) {
    return ErrorResponse(built);
  }

  IncomingCall call;
  call.method = method;
  call.peer = ClientAddress(request);
  call.presented_secret = PresentedSecret(request);
  // A stale cookie must not spoil a sign-in, which replaces whatever session the browser holds
  // once it succeeds (AddSessionCookies).
  if (method->full_name() != kSignIn) {
    if (absl::Status attached = AttachSession(request, sessions_, call); !attached.ok()) {
      HttpResponse response = ErrorResponse(attached);
      if (absl::IsUnauthenticated(attached)) response.headers = ClearedSessionCookies(request.tls);
      return response;
    }
  }
  const absl::Status status = dispatcher_.Invoke(call, *rpc_request, rpc_response.get());
  if (!status.ok()) {
    HttpResponse response = ErrorResponse(status);
    if (absl::IsUnauthenticated(status) && !call.session_id.empty()) {
      // The session's token expired or is gone: the session ends for good, so that a later
      // change to the token (a new expiry) does not bring it back.
      sessions_.End(call.session_id);
      response.headers = ClearedSessionCookies(request.tls);
    }
    if (absl::IsResourceExhausted(status) && call.presented_secret.has_value()) {
      const absl::Duration wait = throttle_.RetryAfter(call.peer);
      response.headers.emplace_back("Retry-After",
                                    absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(wait))));
    }
    return response;
  }
  HttpResponse response;
  AddSessionCookies(*method, *rpc_response, request, response);
  response.body = ResponseJson(*rpc_response);
  return response;
}

void Gateway::AddSessionCookies(const google::protobuf::MethodDescriptor& method,
                                google::protobuf::Message& response, const HttpRequest& request,
                                HttpResponse& http) const {
  if (method.full_name() == kSignOut) {
    http.headers = ClearedSessionCookies(request.tls);
    return;
  }
  if (method.full_name() != kSignIn) return;
  auto& signed_in = static_cast<v1::SignInResponse&>(response);
  if (signed_in.session_id().empty()) return;
  const std::string previous = CookieValue(request, kSessionCookie);
  if (!previous.empty() && previous != signed_in.session_id()) sessions_.End(previous);
  if (std::optional<SessionStore::Session> session = sessions_.Find(signed_in.session_id())) {
    http.headers =
        SessionCookies(signed_in.session_id(), *session, sessions_.options().lifetime, request.tls);
  }
  // Over HTTP the id lives in the HttpOnly cookie only, out of reach of the page's script.
  signed_in.clear_session_id();
}

}  // namespace vpvm::daemon::gateway
