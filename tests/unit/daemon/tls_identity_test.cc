#include "daemon/tls_identity.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(TlsIdentityTest, SelfSignedIdentityMatchesOpensslsFingerprint) {
  auto identity = GenerateSelfSignedIdentity("host.example");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_THAT(identity->fingerprint, MatchesRegex("([0-9A-F]{2}:){31}[0-9A-F]{2}"));

  testing::TempDir dir;
  std::ofstream(dir.File("cert.pem")) << identity->certificate_pem;
  std::ofstream(dir.File("key.pem")) << identity->private_key_pem;
  // The same fingerprint from the openssl command line.
  std::FILE* pipe = ::popen(
      ("openssl x509 -noout -fingerprint -sha256 -in " + dir.File("cert.pem")).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), pipe), nullptr);
  ::pclose(pipe);
  EXPECT_THAT(std::string(line), HasSubstr(identity->fingerprint));

  auto loaded = LoadTlsIdentity(dir.File("cert.pem"), dir.File("key.pem"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->fingerprint, identity->fingerprint);
}

TEST(TlsIdentityTest, CertificateNamesLoopbackAndTheHost) {
  auto identity = GenerateSelfSignedIdentity("host.example");
  ASSERT_TRUE(identity.ok());
  testing::TempDir dir;
  std::ofstream(dir.File("cert.pem")) << identity->certificate_pem;
  std::FILE* pipe =
      ::popen(("openssl x509 -noout -ext subjectAltName -in " + dir.File("cert.pem")).c_str(), "r");
  std::string text;
  char buffer[256];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) text += buffer;
  ::pclose(pipe);
  EXPECT_THAT(text, HasSubstr("DNS:localhost"));
  EXPECT_THAT(text, HasSubstr("IP Address:127.0.0.1"));
  EXPECT_THAT(text, HasSubstr("DNS:host.example"));
}

TEST(TlsIdentityTest, KeyOfAnotherCertificateIsRefused) {
  auto a = GenerateSelfSignedIdentity("a");
  auto b = GenerateSelfSignedIdentity("b");
  testing::TempDir dir;
  std::ofstream(dir.File("cert.pem")) << a->certificate_pem;
  std::ofstream(dir.File("key.pem")) << b->private_key_pem;
  EXPECT_THAT(LoadTlsIdentity(dir.File("cert.pem"), dir.File("key.pem")).status().message(),
              HasSubstr("does not belong"));
  EXPECT_FALSE(LoadTlsIdentity(dir.File("missing.pem"), dir.File("key.pem")).ok());
}

}  // namespace
}  // namespace vpvm::daemon
