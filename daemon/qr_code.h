#pragma once

// QR codes as SVG documents, through Debian's libqrencode: what the dashboard shows for a TOTP
// enrolment's otpauth:// URI.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vpvm::daemon {

// A square SVG of `text` (error correction level M, a 4-module quiet zone, black on white).
absl::StatusOr<std::string> QrCodeSvg(absl::string_view text);

}  // namespace vpvm::daemon
