#pragma once

// A small HTTP/1.1 server for the gateway, on Boost.Beast: keep-alive, TLS with the daemon's
// identity (or plain TCP), TCP_NODELAY, a limit on the body, and one deadline for reading each
// request (headers and body together), so that slow, idle and trickling clients are closed. The
// handler runs on a pool of its own threads, so that a slow call (a VM's graceful stop) holds up
// neither the connections nor other calls.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vpvm::daemon::gateway {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // without the query, not decoded
  std::string query;   // after '?', not decoded
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string peer;                                          // the TCP peer's address
  bool tls = false;

  // The value of header `name` (lower-case), several joined by ", "; empty when absent.
  std::string Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // PEM; both empty: plain TCP.
  std::string certificate_pem;
  std::string private_key_pem;
  absl::Duration read_timeout = absl::Seconds(15);  // per request, and for an idle connection
  size_t body_limit = 1 << 20;
  int io_threads = 2;
  int handler_threads = 32;
  // The answer to a request that never reaches the handler (malformed, too large).
  std::function<HttpResponse(int status, const std::string& message)> error_response;
};

class HttpServer {
 public:
  // Binds and listens on `address` ("HOST:PORT", port 0 picks one) now, without SO_REUSEPORT, so
  // that a port in use is refused before anything is written; serves once Start() is called.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Bind(const std::string& address,
                                                          HttpServerOptions options,
                                                          HttpHandler handler);
  ~HttpServer();

  int port() const;
  void Start();
  // Stops accepting, lets calls in flight finish and closes every connection.
  void Stop();

  struct Impl;  // Beast's types stay in the .cc

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vpvm::daemon::gateway
