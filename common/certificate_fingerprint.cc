#include "common/certificate_fingerprint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace vpvm {
namespace {

constexpr size_t kSha256Length = 32;

std::string HexPairs(const unsigned char* bytes, size_t length) {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < length; ++i) pairs.push_back(absl::StrFormat("%02X", bytes[i]));
  return absl::StrJoin(pairs, ":");
}

}  // namespace

absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free_all);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) return absl::InvalidArgumentError("not a PEM certificate");

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1) {
    return absl::InternalError("cannot digest the certificate");
  }
  return HexPairs(digest, length);
}

absl::StatusOr<std::string> NormalizeFingerprint(absl::string_view text) {
  std::string hex = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  if (absl::StartsWith(hex, "SHA256:")) hex.erase(0, 7);
  hex = absl::StrReplaceAll(hex, {{":", ""}});

  const bool all_hex =
      std::all_of(hex.begin(), hex.end(), [](char c) { return absl::ascii_isxdigit(c); });
  if (hex.size() != 2 * kSha256Length || !all_hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is not a SHA-256 fingerprint (64 hex digits, colons allowed; "
                     "`vpvmd fingerprint` prints it on the server)"));
  }
  std::vector<std::string> pairs;
  for (size_t i = 0; i < hex.size(); i += 2) pairs.push_back(hex.substr(i, 2));
  return absl::StrJoin(pairs, ":");
}

}  // namespace vpvm
