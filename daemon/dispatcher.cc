#include "daemon/dispatcher.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/peer.h"
#include "daemon/status.h"

namespace vpvm::daemon {
namespace {

constexpr absl::string_view kRetryAfterKey = "retry-after";

std::optional<std::string> Metadata(const grpc::ServerContext& context, const std::string& key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

std::optional<std::string> PresentedSecret(const grpc::ServerContext& context) {
  if (auto token = Metadata(context, "x-auth-token")) {
    return std::string(absl::StripAsciiWhitespace(*token));
  }
  if (auto authorization = Metadata(context, "authorization")) {
    absl::string_view value = absl::StripAsciiWhitespace(*authorization);
    if (absl::StartsWithIgnoreCase(value, "bearer ")) {
      return std::string(absl::StripAsciiWhitespace(value.substr(7)));
    }
    return std::string(value);  // refused by format, as any other malformed token
  }
  return std::nullopt;
}

Dispatcher::Dispatcher(const AccessRules& rules, const auth::TokenStore& store,
                       auth::LastUsedRecorder& recorder, FailureThrottle& throttle,
                       const VmDirectory& vms, const auth::Clock& clock)
    : rules_(rules),
      store_(store),
      recorder_(recorder),
      throttle_(throttle),
      vms_(vms),
      clock_(clock),
      rpc_log_(Logger("rpc")) {}

absl::StatusOr<std::shared_ptr<const auth::Token>> VerifyThrottled(const auth::TokenStore& store,
                                                                   FailureThrottle& throttle,
                                                                   const std::string& peer,
                                                                   absl::string_view secret) {
  const bool throttled = peer != kUnixPeer;
  if (throttled) {
    if (absl::Duration wait = throttle.RetryAfter(peer); wait > absl::ZeroDuration()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many failed attempts from ", peer, "; retry in ", absl::ToInt64Seconds(wait), " s"));
    }
  }
  absl::StatusOr<std::shared_ptr<const auth::Token>> verified = store.Verify(secret);
  if (!verified.ok() && throttled) throttle.RecordFailure(peer);
  return verified;
}

absl::Status Dispatcher::Authenticate(const IncomingCall& call,
                                      std::shared_ptr<const auth::Token>* caller) {
  if (!call.presented_secret.has_value() && !call.session_token_id.empty()) {
    *caller = store_.Lookup(call.session_token_id);
    if (*caller == nullptr) {
      return absl::UnauthenticatedError("the token of this dashboard session no longer exists");
    }
    return absl::OkStatus();
  }
  if (!call.presented_secret.has_value()) {
    return absl::UnauthenticatedError(
        "no token: send one as x-auth-token (gRPC metadata or HTTP header), or as authorization: "
        "Bearer");
  }
  VPVM_ASSIGN_OR_RETURN(*caller,
                        VerifyThrottled(store_, throttle_, call.peer, *call.presented_secret));
  return absl::OkStatus();
}

std::optional<auth::VmTarget> Dispatcher::TargetOf(const MethodRule& rule,
                                                   const google::protobuf::Message& request) const {
  if (rule.vm_field == nullptr) return std::nullopt;
  auth::VmTarget target;
  target.as_named = request.GetReflection()->GetString(request, rule.vm_field);
  if (std::optional<auth::VmRef> vm = vms_.Find(target.as_named)) target.id = vm->id;
  return target;
}

absl::Status Dispatcher::Invoke(const IncomingCall& call, const google::protobuf::Message& request,
                                google::protobuf::Message* response) {
  const MethodRule* rule = call.method == nullptr ? nullptr : rules_.Find(call.method->full_name());
  if (rule == nullptr) return absl::PermissionDeniedError("this method declares no access rule");

  CallContext context;
  context.peer = call.peer;
  if (!call.presented_secret.has_value()) context.session_id = call.session_id;
  if (rule->requirement.kind != auth::AccessRequirement::Kind::kPublic) {
    if (absl::Status status = Authenticate(call, &context.caller); !status.ok()) return status;
  }
  context.vm = TargetOf(*rule, request);
  if (context.vm.has_value() && context.vm->as_named.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request names no VM (field \"", rule->vm_field->name(), "\")"));
  }
  const absl::Time now = clock_.Now();
  const auth::AccessDecision decision =
      auth::Decide(context.caller.get(), rule->requirement, context.vm, now);
  if (context.caller != nullptr &&
      decision.verdict != auth::AccessDecision::Verdict::kUnauthenticated) {
    recorder_.Record(context.caller->id, now, call.peer);
  }
  if (!decision.allowed()) return decision.ToStatus();

  auto handler = handlers_.find(call.method->full_name());
  if (handler == handlers_.end()) {
    return absl::UnimplementedError(
        absl::StrCat(call.method->full_name(), " is not served by this vpvmd yet"));
  }
  return handler->second(context, request, response);
}

grpc::Status Dispatcher::Serve(grpc::ServerContext* context,
                               const google::protobuf::MethodDescriptor* method,
                               const google::protobuf::Message& request,
                               google::protobuf::Message* response) {
  IncomingCall call;
  call.method = method;
  call.peer = NormalizePeer(context->peer());
  call.presented_secret = PresentedSecret(*context);
  absl::Status status = Invoke(call, request, response);
  if (rpc_log_->should_log(spdlog::level::debug)) {
    rpc_log_->debug("{} from {}: {}", method == nullptr ? "?" : method->full_name(), call.peer,
                    status.ok() ? "OK" : status.ToString());
  }
  if (absl::IsResourceExhausted(status) && call.presented_secret.has_value()) {
    const absl::Duration wait = throttle_.RetryAfter(call.peer);
    context->AddTrailingMetadata(std::string(kRetryAfterKey),
                                 absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(wait))));
  }
  return ToGrpcStatus(status);
}

}  // namespace vpvm::daemon
