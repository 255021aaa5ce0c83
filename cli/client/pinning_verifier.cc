#include "cli/client/pinning_verifier.h"

#include "common/certificate_fingerprint.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace vpvm::client {
namespace {

namespace gx = grpc::experimental;

class PinningVerifier : public gx::ExternalCertificateVerifier {
 public:
  PinningVerifier(std::string pin, std::shared_ptr<PinObservation> observation)
      : pin_(std::move(pin)), observation_(std::move(observation)) {}

  bool Verify(gx::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    const grpc::string_ref pem = request->peer_cert();
    absl::StatusOr<std::string> fingerprint =
        CertificateFingerprint(absl::string_view(pem.data(), pem.size()));
    if (!fingerprint.ok()) {
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  "the server presented no readable certificate");
      return true;
    }
    observation_->Record(*fingerprint);
    *sync_status = !pin_.empty() && *fingerprint == pin_
                       ? grpc::Status::OK
                       : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                      "the server's certificate is not the pinned one");
    return true;
  }

  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string pin_;
  const std::shared_ptr<PinObservation> observation_;
};

}  // namespace

void PinObservation::Record(std::string fingerprint) {
  absl::MutexLock lock(&mutex_);
  seen_ = std::move(fingerprint);
}

std::optional<std::string> PinObservation::seen() const {
  absl::MutexLock lock(&mutex_);
  return seen_;
}

std::shared_ptr<grpc::ChannelCredentials> PinnedTlsCredentials(
    std::string pin, std::shared_ptr<PinObservation> observation) {
  gx::TlsChannelCredentialsOptions options;
  options.set_verify_server_certs(false);  // no CA chain: the pin decides
  options.set_check_call_host(false);      // nor the names in the certificate
  options.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<PinningVerifier>(
      std::move(pin), std::move(observation)));
  return gx::TlsCredentials(options);
}

}  // namespace vpvm::client
