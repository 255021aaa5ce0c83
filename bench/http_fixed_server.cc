// The HTTP layer alone, for bench/run-http: vpvmd's own HttpServer (daemon/gateway/http_server.h)
// with the options the daemon gives it over plain TCP (the same I/O threads, handler pool, read
// deadline and limits), whose handler answers every request with the same small JSON body.
// Routing, transcoding, the access gate and the VM lookup are what the gateway adds on top.
//
// Usage: http_fixed_server ADDRESS_FILE
// Listens on 127.0.0.1, a port of the kernel's choice, writes "127.0.0.1:PORT" to ADDRESS_FILE
// (atomically, once serving) and serves until SIGTERM or SIGINT.

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "bench/address_file.h"
#include "daemon/gateway/http_server.h"

namespace {

using vpvm::daemon::gateway::HttpRequest;
using vpvm::daemon::gateway::HttpResponse;
using vpvm::daemon::gateway::HttpServer;
using vpvm::daemon::gateway::HttpServerOptions;

}  // namespace

using vpvm::bench::WriteAddressFile;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ADDRESS_FILE\n", argv[0]);
    return 2;
  }
  // As vpvmd does: the stop signals are blocked in every thread and waited for by one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  HttpServerOptions options;  // the daemon's defaults; --tls off leaves the PEMs empty
  options.error_response = [](int status, const std::string& message) {
    HttpResponse response;
    response.status = status;
    response.body = "{\"error\":\"" + message + "\"}\n";
    return response;
  };
  auto bound = HttpServer::Bind("127.0.0.1:0", std::move(options), [](const HttpRequest&) {
    HttpResponse response;
    response.body = "{\"ok\":true}\n";
    return response;
  });
  if (!bound.ok()) {
    std::fprintf(stderr, "http_fixed_server: %s\n", bound.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<HttpServer> server = *std::move(bound);
  server->Start();
  if (!WriteAddressFile(argv[1], server->port())) {
    std::fprintf(stderr, "http_fixed_server: cannot write %s\n", argv[1]);
    return 1;
  }

  int signal = 0;
  sigwait(&stop, &signal);
  server->Stop();
  std::remove(argv[1]);
  return 0;
}
