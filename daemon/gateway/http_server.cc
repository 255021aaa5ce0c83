#include "daemon/gateway/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <thread>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vpvm::daemon::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr size_t kHeaderLimit = 16 * 1024;

std::chrono::nanoseconds Chrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

std::string PeerOf(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

absl::StatusOr<tcp::endpoint> Resolve(asio::io_context& io, const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", address, "\" is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(ip, static_cast<uint16_t>(port));
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, absl::StrCat(port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve \"", host, "\""));
  }
  return results.begin()->endpoint();
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  std::string value;
  for (const auto& [key, item] : headers) {
    if (key != name) continue;
    absl::StrAppend(&value, value.empty() ? "" : ", ", item);
  }
  return value;
}

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context io;
  ssl::context tls_context{ssl::context::tls_server};
  bool tls = false;
  tcp::acceptor acceptor{io};
  asio::thread_pool handlers;
  std::vector<std::thread> threads;
  bool started = false;

  explicit Impl(HttpServerOptions o)
      : options(std::move(o)), handlers(static_cast<size_t>(options.handler_threads)) {}

  void Accept();
};

namespace {

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Stream stream, HttpServer::Impl& server, std::string peer)
      : stream_(std::move(stream)), server_(server), peer_(std::move(peer)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(Chrono(server_.options.read_timeout));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->Read();
                              });
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(kHeaderLimit);
    beast::get_lowest_layer(stream_).expires_after(Chrono(server_.options.read_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      Respond(
          server_.options.error_response(
              413, absl::StrCat("the body is larger than ", server_.options.body_limit, " bytes")),
          false, 11);
      return;
    }
    if (ec == http::error::header_limit) {
      Respond(server_.options.error_response(431, "the request's headers are too large"), false,
              11);
      return;
    }
    if (ec) {
      Respond(server_.options.error_response(
                  400, absl::StrCat("malformed HTTP request: ", ec.message())),
              false, 11);
      return;
    }

    http::request<http::string_body> message = parser_->release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    const std::string target(message.target());
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                   std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.peer = peer_;
    request.tls = kTls;

    // The handler may take long (a graceful stop): no deadline while it runs.
    beast::get_lowest_layer(stream_).expires_never();
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    asio::post(server_.handlers, [self = this->shared_from_this(), request = std::move(request),
                                  keep_alive, version]() mutable {
      HttpResponse response = self->server_.handler(request);
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response), keep_alive, version]() mutable {
                   self->Respond(std::move(response), keep_alive, version);
                 });
    });
  }

  void Respond(HttpResponse response, bool keep_alive, unsigned version) {
    auto out = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    out->set(http::field::server, "vpvmd");
    out->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out->insert(name, value);
    out->keep_alive(keep_alive);
    out->body() = std::move(response.body);
    out->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(
        stream_, *out,
        [self = this->shared_from_this(), out, keep_alive](beast::error_code ec, size_t) {
          if (ec || !keep_alive) {
            self->Close();
            return;
          }
          self->Read();
        });
  }

  void Close() {
    beast::error_code ignored;
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored_too;
        beast::get_lowest_layer(self->stream_).socket().close(ignored_too);
      });
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.socket().close(ignored);
    }
  }

  Stream stream_;
  HttpServer::Impl& server_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::string peer = PeerOf(socket);
      if (tls) {
        using TlsStream = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<Connection<TlsStream>>(
            TlsStream(beast::tcp_stream(std::move(socket)), tls_context), *this, std::move(peer))
            ->Start();
      } else {
        std::make_shared<Connection<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this,
                                                        std::move(peer))
            ->Start();
      }
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(const std::string& address,
                                                             HttpServerOptions options,
                                                             HttpHandler handler) {
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->handler = std::move(handler);
  if (!impl->options.certificate_pem.empty()) {
    impl->tls = true;
    beast::error_code ec;
    impl->tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                  ssl::context::no_tlsv1_1);
    impl->tls_context.use_certificate_chain(asio::buffer(impl->options.certificate_pem), ec);
    if (!ec) {
      impl->tls_context.use_private_key(asio::buffer(impl->options.private_key_pem),
                                        ssl::context::pem, ec);
    }
    if (ec) return absl::InvalidArgumentError(absl::StrCat("TLS identity: ", ec.message()));
  }

  absl::StatusOr<tcp::endpoint> endpoint = Resolve(impl->io, address);
  if (!endpoint.ok()) return endpoint.status();
  beast::error_code ec;
  impl->acceptor.open(endpoint->protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::Start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->Accept();
  for (int i = 0; i < impl_->options.io_threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void HttpServer::Stop() {
  if (!impl_->started) return;
  impl_->started = false;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->handlers.join();  // calls in flight finish and post their answers
  // Give the answers a moment to be written, then end.
  asio::steady_timer grace(impl_->io, std::chrono::milliseconds(300));
  grace.async_wait([this](beast::error_code) { impl_->io.stop(); });
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace vpvm::daemon::gateway
