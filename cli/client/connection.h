#pragma once

// A connection to vpvmd for the clients (the `vpvm` CLI and the GUI): the channel, over the
// local Unix socket or over TLS with a pinned certificate, and the token presented on every call.
//
// Opening one connects at once, so that an unreachable daemon, an unknown certificate or a
// changed one is told apart before any request is sent. Errors are absl::Status with gRPC's codes
// (they are numerically the same); certificate problems carry the kCertificateProblem payload.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/client/connection_settings.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace vpvm::client {

// Marks a status as "the server's certificate is not trusted": the value is "unknown" or
// "changed".
inline constexpr char kCertificateProblem[] = "vpvm.v1/certificate";
// On RESOURCE_EXHAUSTED: the seconds the daemon asks the client to wait.
inline constexpr char kRetryAfter[] = "vpvm.v1/retry-after";

// Asked on first contact with a server whose certificate is not pinned: true trusts it. Absent
// when nobody can answer (no terminal): the connection is then refused.
using TrustPrompt = std::function<bool(const std::string& target, const std::string& fingerprint)>;

class Connection {
 public:
  static constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
  static constexpr absl::Duration kCallTimeout = absl::Minutes(10);

  // Over a channel that is connected already.
  Connection(std::shared_ptr<grpc::Channel> channel, std::string token, std::string description)
      : channel_(std::move(channel)),
        token_(std::move(token)),
        description_(std::move(description)) {}

  static absl::StatusOr<std::unique_ptr<Connection>> Open(const ConnectionSettings& settings,
                                                          const std::optional<TrustPrompt>& ask);

  // Calls `method` of `stub` with the token and a deadline.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(
      Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
      const Request& request, absl::Duration timeout = kCallTimeout) const {
    grpc::ClientContext context;
    Prepare(context, timeout);
    Response response;
    grpc::Status status = (stub.*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status, context);
    return response;
  }

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // "vpvmd at 10.0.0.5:49152" or "the local vpvmd (/run/vpvm/vpvmd.sock)".
  const std::string& description() const { return description_; }

 private:
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;
  absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
  std::string description_;
};

// The token `settings` name: given, read from a file, or (for the local daemon) the master token
// in its state folder. Unauthenticated says where a token could come from when there is none.
absl::StatusOr<std::string> LoadToken(const ConnectionSettings& settings);

}  // namespace vpvm::client
