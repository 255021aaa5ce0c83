#pragma once

// TLS server verification by pinned fingerprint, for gRPC 1.51's experimental TlsCredentials.
// vpvmd's certificates are self-signed and often reached by an address outside their names, so
// neither a CA chain nor the host name is checked: the SHA-256 fingerprint of the certificate
// the server presents must equal the pinned one. Without a pin every handshake is refused, and
// what was seen is kept so that the caller can show the fingerprint and ask the user.

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "grpcpp/security/credentials.h"

namespace vpvm::client {

// What the verifier saw of the server's certificate in the latest handshake.
class PinObservation {
 public:
  void Record(std::string fingerprint);
  std::optional<std::string> seen() const;

 private:
  mutable absl::Mutex mutex_;
  std::optional<std::string> seen_ ABSL_GUARDED_BY(mutex_);
};

// Channel credentials that accept exactly the certificate with fingerprint `pin` (empty: none),
// recording every certificate presented into `observation`.
std::shared_ptr<grpc::ChannelCredentials> PinnedTlsCredentials(
    std::string pin, std::shared_ptr<PinObservation> observation);

}  // namespace vpvm::client
