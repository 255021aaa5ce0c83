#pragma once

// The HTTP/JSON gateway (DESIGN.md §4): every RPC at its `google.api.http` route, through the
// daemon's single dispatch, in-process, with the TCP peer (or, from a trusted proxy only, the
// address it forwards) as the client address. Errors are JSON:
//   {"error": {"code": 404, "status": "NOT_FOUND", "message": "..."}}
// with the HTTP status of DESIGN.md §4, and Retry-After on 429.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "daemon/dispatcher.h"
#include "daemon/gateway/http_server.h"
#include "daemon/gateway/route_table.h"
#include "daemon/sessions.h"
#include "daemon/throttle.h"

namespace vpvm::daemon::gateway {

struct GatewayOptions {
  // Proxies whose X-Forwarded-For is believed (exact addresses, normalised).
  std::vector<std::string> trusted_proxies;
  // JSON documents answered as they are to GET at their path, before any route and without a
  // token (the OpenAPI document).
  absl::flat_hash_map<std::string, std::string> documents;
  // The web dashboard's pages, scripts and styles by path, each with its content type.
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> static_files;
};

class Gateway {
 public:
  Gateway(RouteTable routes, Dispatcher& dispatcher, FailureThrottle& throttle,
          SessionStore& sessions, GatewayOptions options);

  HttpResponse Handle(const HttpRequest& request) const;

  // The client address of `request`: the TCP peer, or the last address in X-Forwarded-For that
  // is not a trusted proxy, when the peer is one.
  std::string ClientAddress(const HttpRequest& request) const;

 private:
  HttpResponse Call(const RouteMatch& match, const HttpRequest& request) const;
  // Sets or clears the session cookies after a sign-in or sign-out.
  void AddSessionCookies(const google::protobuf::MethodDescriptor& method,
                         google::protobuf::Message& response, const HttpRequest& request,
                         HttpResponse& http) const;

  RouteTable routes_;
  Dispatcher& dispatcher_;
  FailureThrottle& throttle_;
  absl::flat_hash_set<std::string> trusted_proxies_;
  absl::flat_hash_map<std::string, std::string> documents_;
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> static_files_;
  SessionStore& sessions_;
};

// The JSON error answer for `status`.
HttpResponse ErrorResponse(const absl::Status& status);
// The JSON error answer for an HTTP-level problem (400, 404, 405, 413, ...).
HttpResponse HttpErrorResponse(int http_status, const std::string& message);

int HttpStatusFor(absl::StatusCode code);

}  // namespace vpvm::daemon::gateway
