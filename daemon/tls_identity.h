#pragma once

// The daemon's TLS identity: a private key and a certificate, either the user's own or a
// self-signed pair that the daemon makes on first start (EC P-256, valid for localhost, the
// loopback addresses and the host's name). Clients pin it by its SHA-256 fingerprint.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vpvm::daemon {

struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
  // SHA-256 of the certificate's DER form, as "AB:CD:…" (what `openssl x509 -fingerprint
  // -sha256` prints).
  std::string fingerprint;
};

// A new key and a self-signed certificate for `hostname`, in memory only.
absl::StatusOr<TlsIdentity> GenerateSelfSignedIdentity(absl::string_view hostname);

// The identity in the PEM files at `certificate_path` and `key_path`; refuses a key that does
// not belong to the certificate.
absl::StatusOr<TlsIdentity> LoadTlsIdentity(const std::string& certificate_path,
                                            const std::string& key_path);

absl::StatusOr<std::string> CertificateFingerprint(absl::string_view certificate_pem);

}  // namespace vpvm::daemon
