#pragma once

// The single dispatch of every vpvm.v1 call (DESIGN.md §4). gRPC's generated handlers forward
// here in one line, and the HTTP gateway calls Invoke in-process, so both pass the same gate:
// authenticate the presented token, throttle failures per client address, resolve the VM the
// request names, decide with libauth, record the use, and only then run the handler. Handlers
// never check access themselves.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "daemon/access_rules.h"
#include "daemon/throttle.h"
#include "daemon/vm_directory.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "libauth/clock.h"
#include "libauth/last_used_recorder.h"
#include "libauth/token_store.h"
#include "spdlog/logger.h"

namespace vpvm::daemon {

// What a handler learns about the call it serves, once the gate let it through.
struct CallContext {
  std::shared_ptr<const auth::Token> caller;  // null only for public methods
  std::string peer;                           // normalised client address, "unix" locally
  std::optional<auth::VmTarget> vm;           // the VM the request names, when it names one
  std::string session_id;                     // the dashboard session it came with, if any
};

// A call as it arrives, from any transport.
struct IncomingCall {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string peer;                             // normalised
  std::optional<std::string> presented_secret;  // absent: no token was sent
  // A dashboard session the gateway found live, standing in for the secret it was opened with:
  // the session's token, by Token ID, goes through the same decision as a presented one.
  std::string session_id;
  std::string session_token_id;
};

// Verifies a presented secret for a caller at `peer`: refused at once while the address is held
// back (RESOURCE_EXHAUSTED), and a failure counts toward its throttle. The local socket is
// guarded by its file permissions and is never throttled. Used by the gate and by dashboard
// sign-in, where the secret travels in the request.
absl::StatusOr<std::shared_ptr<const auth::Token>> VerifyThrottled(const auth::TokenStore& store,
                                                                   FailureThrottle& throttle,
                                                                   const std::string& peer,
                                                                   absl::string_view secret);

class Dispatcher {
 public:
  using Handler = std::function<absl::Status(const CallContext&, const google::protobuf::Message&,
                                             google::protobuf::Message*)>;

  Dispatcher(const AccessRules& rules, const auth::TokenStore& store,
             auth::LastUsedRecorder& recorder, FailureThrottle& throttle, const VmDirectory& vms,
             const auth::Clock& clock);

  // Registers the handler of `method` (full name, "vpvm.v1.TokenService.CreateToken").
  template <typename Request, typename Response>
  void Handle(absl::string_view method,
              std::function<absl::Status(const CallContext&, const Request&, Response*)> fn) {
    handlers_[std::string(method)] = [fn = std::move(fn)](const CallContext& context,
                                                          const google::protobuf::Message& request,
                                                          google::protobuf::Message* response) {
      return fn(context, static_cast<const Request&>(request), static_cast<Response*>(response));
    };
  }

  // Gate, then handler. Every transport ends here.
  absl::Status Invoke(const IncomingCall& call, const google::protobuf::Message& request,
                      google::protobuf::Message* response);

  // The gRPC edge: reads the token and the peer from `context`, maps the answer to a
  // grpc::Status, and adds a retry-after hint to throttled answers.
  grpc::Status Serve(grpc::ServerContext* context, const google::protobuf::MethodDescriptor* method,
                     const google::protobuf::Message& request, google::protobuf::Message* response);

 private:
  absl::Status Authenticate(const IncomingCall& call, std::shared_ptr<const auth::Token>* caller);
  std::optional<auth::VmTarget> TargetOf(const MethodRule& rule,
                                         const google::protobuf::Message& request) const;

  const AccessRules& rules_;
  const auth::TokenStore& store_;
  auth::LastUsedRecorder& recorder_;
  FailureThrottle& throttle_;
  const VmDirectory& vms_;
  const auth::Clock& clock_;
  absl::flat_hash_map<std::string, Handler> handlers_;
  std::shared_ptr<spdlog::logger> rpc_log_;
};

// The secret a client sent: `x-auth-token`, else `authorization: Bearer …`.
std::optional<std::string> PresentedSecret(const grpc::ServerContext& context);

}  // namespace vpvm::daemon
