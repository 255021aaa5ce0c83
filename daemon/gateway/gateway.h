#pragma once

// The HTTP/JSON gateway (DESIGN.md §4): every RPC at its `google.api.http` route, through the
// daemon's single dispatch, in-process, with the TCP peer (or, from a trusted proxy only, the
// address it forwards) as the client address. Errors are JSON:
//   {"error": {"code": 404, "status": "NOT_FOUND", "message": "..."}}
// with the HTTP status of DESIGN.md §4, and Retry-After on 429.

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "daemon/dispatcher.h"
#include "daemon/gateway/http_server.h"
#include "daemon/gateway/route_table.h"
#include "daemon/throttle.h"

namespace vpvm::daemon::gateway {

struct GatewayOptions {
  // Proxies whose X-Forwarded-For is believed (exact addresses, normalised).
  std::vector<std::string> trusted_proxies;
};

class Gateway {
 public:
  Gateway(RouteTable routes, Dispatcher& dispatcher, FailureThrottle& throttle,
          GatewayOptions options);

  HttpResponse Handle(const HttpRequest& request) const;

  // The client address of `request`: the TCP peer, or the last address in X-Forwarded-For that
  // is not a trusted proxy, when the peer is one.
  std::string ClientAddress(const HttpRequest& request) const;

 private:
  HttpResponse Call(const RouteMatch& match, const HttpRequest& request) const;

  RouteTable routes_;
  Dispatcher& dispatcher_;
  FailureThrottle& throttle_;
  absl::flat_hash_set<std::string> trusted_proxies_;
};

// The JSON error answer for `status`.
HttpResponse ErrorResponse(const absl::Status& status);
// The JSON error answer for an HTTP-level problem (400, 404, 405, 413, ...).
HttpResponse HttpErrorResponse(int http_status, const std::string& message);

int HttpStatusFor(absl::StatusCode code);

}  // namespace vpvm::daemon::gateway
