#include "cli/client/known_servers.h"

#include <fstream>

#include "common/certificate_fingerprint.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::client {
namespace {

constexpr char kFingerprint[] =
    "B0:B7:3B:E5:64:42:F1:12:24:BC:3C:25:47:BD:02:FF:14:A6:CB:24:E6:73:4E:33:AB:CF:0A:E6:45:2D:27:"
    "9A";

TEST(KnownServersTest, PinsSurviveAReloadAndAreReplacedNotDuplicated) {
  vpvm::testing::TempDir dir;
  const std::string path = dir.File("config/known_servers");
  KnownServers known = *KnownServers::Load(path);
  EXPECT_FALSE(known.Find("h:1").has_value());

  ASSERT_TRUE(known.Pin("h:1", kFingerprint).ok());
  EXPECT_EQ(vpvm::testing::FileMode(path), 0600);
  EXPECT_EQ(KnownServers::Load(path)->Find("h:1"), kFingerprint);

  const std::string other(64, 'A');
  const std::string other_pin = *NormalizeFingerprint(other);
  ASSERT_TRUE(known.Pin("h:1", other_pin).ok());
  EXPECT_EQ(KnownServers::Load(path)->Find("h:1"), other_pin);
}

TEST(KnownServersTest, AMalformedLineIsRefusedWithItsNumber) {
  vpvm::testing::TempDir dir;
  std::ofstream(dir.File("known")) << "# comment\nh:1 " << kFingerprint << "\nh:2 nonsense\n";
  absl::StatusOr<KnownServers> known = KnownServers::Load(dir.File("known"));
  ASSERT_FALSE(known.ok());
  EXPECT_NE(known.status().message().find("line 3"), std::string::npos);
}

TEST(FingerprintTest, NormalisesCaseColonsAndPrefix) {
  std::string lower = "sha256:" + std::string(kFingerprint);
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(*NormalizeFingerprint(lower), kFingerprint);

  std::string bare;
  for (char c : std::string(kFingerprint)) {
    if (c != ':') bare += c;
  }
  EXPECT_EQ(*NormalizeFingerprint(bare), kFingerprint);
}

TEST(FingerprintTest, RefusesWhatIsNotSha256) {
  EXPECT_FALSE(NormalizeFingerprint("AB:CD").ok());
  EXPECT_FALSE(NormalizeFingerprint(std::string(64, 'G')).ok());
  EXPECT_FALSE(NormalizeFingerprint("").ok());
}

}  // namespace
}  // namespace vpvm::client
