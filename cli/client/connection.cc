#include "cli/client/connection.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cli/client/known_servers.h"
#include "cli/client/pinning_verifier.h"
#include "common/certificate_fingerprint.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace vpvm::client {
namespace {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return absl::UnauthenticatedError(
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
  }
  std::stringstream content;
  content << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.empty()) return absl::UnauthenticatedError(absl::StrCat(what, " ", path, " is empty"));
  return token;
}

// Waits until `channel` is connected, or has failed once: a refused connection or a refused
// certificate is not retried for the whole timeout.
bool Connect(grpc::Channel& channel, absl::Duration timeout) {
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel.WaitForStateChange(state, deadline)) return false;
    state = channel.GetState(/*try_to_connect=*/true);
  }
  return true;
}

absl::Status CertificateError(absl::string_view problem, std::string message) {
  absl::Status status = absl::UnavailableError(std::move(message));
  status.SetPayload(kCertificateProblem, absl::Cord(problem));
  return status;
}

absl::StatusOr<std::unique_ptr<Connection>> OpenLocal(const ConnectionSettings& settings,
                                                      std::string token) {
  const std::string description = absl::StrCat("the local vpvmd (", settings.socket, ")");
  std::error_code error;
  if (!std::filesystem::exists(settings.socket, error)) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", description,
                     ": no socket there; is vpvmd running? (--socket or --server to choose "
                     "another daemon)"));
  }
  auto channel = grpc::CreateChannel("unix:" + settings.socket, grpc::InsecureChannelCredentials());
  if (!Connect(*channel, Connection::kConnectTimeout)) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach ", description, ": the socket refuses connections; is vpvmd running?"));
  }
  return std::make_unique<Connection>(std::move(channel), std::move(token), description);
}

}  // namespace

absl::StatusOr<std::string> LoadToken(const ConnectionSettings& settings) {
  if (settings.token) {
    if (settings.token->empty()) return absl::UnauthenticatedError("the token given is empty");
    return *settings.token;
  }
  if (!settings.token_file.empty()) return ReadTokenFile(settings.token_file, "the token file");
  if (settings.remote) {
    return absl::UnauthenticatedError(
        "no token for a remote server: pass --token, --token-file or set VPVM_TOKEN");
  }
  const std::string master = settings.state_dir + "/master.token";
  if (::access(master.c_str(), R_OK) != 0) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no token: cannot read the master token in ", master, " (", std::strerror(errno),
        "); run as its owner, or pass --token, --token-file or VPVM_TOKEN"));
  }
  return ReadTokenFile(master, "the master token file");
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionSettings& settings, const std::optional<TrustPrompt>& ask) {
  VPVM_ASSIGN_OR_RETURN(std::string token, LoadToken(settings));
  if (!settings.remote) return OpenLocal(settings, std::move(token));

  const std::string target = settings.Target();
  const std::string description = absl::StrCat("vpvmd at ", target);
  if (settings.insecure) {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    if (!Connect(*channel, kConnectTimeout)) {
      return absl::UnavailableError(absl::StrCat("cannot reach ", description,
                                                 " over plain TCP (--insecure); is it running "
                                                 "with --tls off and listening there?"));
    }
    return std::make_unique<Connection>(std::move(channel), std::move(token), description);
  }

  VPVM_ASSIGN_OR_RETURN(KnownServers known, KnownServers::Load(KnownServers::DefaultPath()));
  std::string pin;
  const bool pin_given = !settings.fingerprint.empty();
  if (pin_given) {
    VPVM_ASSIGN_OR_RETURN(pin, NormalizeFingerprint(settings.fingerprint));
  } else {
    pin = known.Find(target).value_or("");
  }

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto observation = std::make_shared<PinObservation>();
    auto channel = grpc::CreateChannel(target, PinnedTlsCredentials(pin, observation));
    if (Connect(*channel, kConnectTimeout)) {
      if (pin_given && known.Find(target) != pin) VPVM_RETURN_IF_ERROR(known.Pin(target, pin));
      return std::make_unique<Connection>(std::move(channel), std::move(token), description);
    }

    const std::optional<std::string> seen = observation->seen();
    if (!seen) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach ", description,
          " over TLS; is it running and listening there? (a daemon run with --tls off needs "
          "--insecure)"));
    }
    if (pin_given) {
      return CertificateError(
          "changed", absl::StrCat("the certificate of ", target, " has fingerprint ", *seen,
                                  ", not the one given with --fingerprint (", pin, ")"));
    }
    if (!pin.empty()) {
      return CertificateError(
          "changed",
          absl::StrCat("the certificate of ", target, " HAS CHANGED since you trusted it: it was ",
                       pin, " and is now ", *seen,
                       ". Someone may be intercepting the connection. If the change is expected, "
                       "check the new fingerprint on the server with `vpvmd fingerprint` and "
                       "pass it with --fingerprint"));
    }
    if (!ask || !(*ask)(target, *seen)) {
      return CertificateError(
          "unknown",
          absl::StrCat("the certificate of ", target, " is not trusted yet; its fingerprint is ",
                       *seen,
                       ". Check it on the server with `vpvmd fingerprint` and pass it with "
                       "--fingerprint (or confirm it on a terminal)"));
    }
    pin = *seen;
    VPVM_RETURN_IF_ERROR(known.Pin(target, pin));
  }
  return absl::UnavailableError(absl::StrCat("cannot reach ", description));
}

void Connection::Prepare(grpc::ClientContext& context, absl::Duration timeout) const {
  context.AddMetadata("x-auth-token", token_);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

absl::Status Connection::FromGrpc(const grpc::Status& status,
                                  const grpc::ClientContext& context) const {
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = absl::StrCat("lost ", description_, ": ", message);
  }
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), message);
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("retry-after"); it != trailers.end()) {
    result.SetPayload(kRetryAfter, absl::Cord(std::string(it->second.data(), it->second.size())));
  }
  return result;
}

}  // namespace vpvm::client
