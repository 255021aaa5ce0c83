#pragma once

// SHA-256 fingerprints of X.509 certificates, the way vpvm shows and pins them: upper-case hex
// pairs joined by colons, as `openssl x509 -fingerprint -sha256` prints them.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vpvm {

// The fingerprint of the first certificate in `pem`; InvalidArgument when there is none.
absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem);

// `text` in the canonical form above, accepting any case, with or without colons and with an
// optional "SHA256:" prefix; InvalidArgument names what is wrong.
absl::StatusOr<std::string> NormalizeFingerprint(absl::string_view text);

}  // namespace vpvm
