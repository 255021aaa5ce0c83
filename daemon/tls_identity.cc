#include "daemon/tls_identity.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/certificate_fingerprint.h"
#include "common/status_macros.h"

namespace vpvm::daemon {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

absl::Status OpenSslError(absl::string_view what) {
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof(text));
  return absl::InternalError(absl::StrCat(what, ": ", text));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpenSslError("cannot make a certificate extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return absl::OkStatus();
}

absl::StatusOr<CertPtr> ParseCertificate(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return absl::InvalidArgumentError("not a PEM certificate");
  return cert;
}

}  // namespace

absl::StatusOr<TlsIdentity> GenerateSelfSignedIdentity(absl::string_view hostname) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("cannot generate a key");

  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslError("no random serial");
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string common_name = absl::StrCat("vpvmd ", hostname);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  VPVM_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_alt_name,
                                    absl::StrCat("DNS:localhost,IP:127.0.0.1,IP:::1",
                                                 hostname.empty() ? "" : ",DNS:", hostname)));
  VPVM_RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  VPVM_RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return OpenSslError("cannot sign the certificate");
  }

  TlsIdentity identity;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return OpenSslError("cannot encode the TLS identity");
  }
  identity.certificate_pem = BioContents(cert_bio.get());
  identity.private_key_pem = BioContents(key_bio.get());
  VPVM_ASSIGN_OR_RETURN(identity.fingerprint,
                        vpvm::CertificateFingerprint(identity.certificate_pem));
  return identity;
}

absl::StatusOr<TlsIdentity> LoadTlsIdentity(const std::string& certificate_path,
                                            const std::string& key_path) {
  TlsIdentity identity;
  VPVM_ASSIGN_OR_RETURN(identity.certificate_pem, ReadFile(certificate_path));
  VPVM_ASSIGN_OR_RETURN(identity.private_key_pem, ReadFile(key_path));
  absl::StatusOr<CertPtr> cert = ParseCertificate(identity.certificate_pem);
  if (!cert.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(certificate_path, " is ", cert.status().message()));
  BioPtr key_bio(BIO_new_mem_buf(identity.private_key_pem.data(),
                                 static_cast<int>(identity.private_key_pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key_path, " is not a PEM private key"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key in ", key_path, " does not belong to ", certificate_path));
  }
  VPVM_ASSIGN_OR_RETURN(identity.fingerprint,
                        vpvm::CertificateFingerprint(identity.certificate_pem));
  return identity;
}

absl::StatusOr<std::string> CertificateFingerprint(absl::string_view certificate_pem) {
  return vpvm::CertificateFingerprint(certificate_pem);
}

}  // namespace vpvm::daemon
