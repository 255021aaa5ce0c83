#include "daemon/qr_code.h"

#include <qrencode.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace vpvm::daemon {

absl::StatusOr<std::string> QrCodeSvg(absl::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, /*casesensitive=*/1),
      &QRcode_free);
  if (code == nullptr) return absl::InternalError("cannot make a QR code of the enrolment URI");

  constexpr int kQuiet = 4;
  const int width = code->width;
  const int size = width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[y * width + x] & 1) {
        absl::StrAppend(&path, "M", x + kQuiet, " ", y + kQuiet, "h1v1h-1z");
      }
    }
  }
  return absl::StrCat("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", size, " ", size,
                      "\" shape-rendering=\"crispEdges\"><rect width=\"", size, "\" height=\"",
                      size, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"", path, "\"/></svg>");
}

}  // namespace vpvm::daemon
