#include "libauth/secret.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;

TEST(SecretTest, GeneratedSecretsHaveThePrefixLengthAndAValidChecksum) {
  OsRandom random;
  absl::StatusOr<std::string> secret = GenerateSecret(random);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->size(), kSecretLength);
  EXPECT_TRUE(absl::StartsWith(*secret, "vpvm_"));
  EXPECT_TRUE(CheckSecretFormat(*secret).ok());
}

TEST(SecretTest, RandomPartCarriesAtLeast160Bits) {
  EXPECT_GE(static_cast<double>(kSecretBodyLength) * std::log2(62.0), 160.0);
}

TEST(SecretTest, GeneratedSecretsDoNotRepeat) {
  OsRandom random;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> secret = GenerateSecret(random);
    ASSERT_TRUE(secret.ok());
    EXPECT_TRUE(seen.insert(*secret).second) << *secret;
  }
}

TEST(SecretTest, EveryMistypedCharacterIsRefusedByFormatAlone) {
  testing::FakeRandom random(7);
  const std::string secret = *GenerateSecret(random);
  for (size_t i = kSecretPrefix.size(); i < secret.size(); ++i) {
    std::string typo = secret;
    typo[i] = typo[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(CheckSecretFormat(typo).ok()) << "position " << i;
  }
}

TEST(SecretTest, SwappedNeighboursAreRefused) {
  testing::FakeRandom random(8);
  const std::string secret = *GenerateSecret(random);
  for (size_t i = kSecretPrefix.size(); i + 1 < secret.size(); ++i) {
    if (secret[i] == secret[i + 1]) continue;
    std::string swapped = secret;
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_FALSE(CheckSecretFormat(swapped).ok()) << "position " << i;
  }
}

TEST(SecretTest, MalformedInputsNameTheProblem) {
  testing::FakeRandom random(9);
  const std::string secret = *GenerateSecret(random);
  EXPECT_THAT(CheckSecretFormat("").message(), HasSubstr("vpvm_"));
  EXPECT_THAT(CheckSecretFormat("ghp_" + secret.substr(4)).message(), HasSubstr("vpvm_"));
  EXPECT_THAT(CheckSecretFormat(secret.substr(0, secret.size() - 1)).message(),
              HasSubstr("truncated"));
  EXPECT_THAT(CheckSecretFormat(secret + "x").message(), HasSubstr("characters"));
  std::string bad_char = secret;
  bad_char[10] = '-';
  EXPECT_THAT(CheckSecretFormat(bad_char).message(), HasSubstr("character"));
  std::string bad_sum = secret;
  bad_sum.back() = bad_sum.back() == '0' ? '1' : '0';
  EXPECT_THAT(CheckSecretFormat(bad_sum).message(), HasSubstr("checksum"));
}

TEST(SecretTest, TokenIdsAreWellFormedAndNotSecrets) {
  OsRandom random;
  absl::StatusOr<std::string> id = GenerateTokenId(random);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(IsWellFormedTokenId(*id)) << *id;
  EXPECT_TRUE(IsWellFormedTokenId("master"));
  EXPECT_FALSE(IsWellFormedTokenId("tok_ABC"));
  EXPECT_FALSE(IsWellFormedTokenId("tok_abcdefghijk!"));
  EXPECT_FALSE(CheckSecretFormat(*id).ok());
}

TEST(SecretTest, DigestIsSha256AndComparesByValue) {
  // SHA-256("abc") from FIPS 180-2.
  const SecretDigest abc = Sha256Digest("abc");
  EXPECT_EQ(abc[0], 0xba);
  EXPECT_EQ(abc[1], 0x78);
  EXPECT_EQ(abc[31], 0xad);
  EXPECT_TRUE(DigestsEqual(abc, Sha256Digest("abc")));
  EXPECT_FALSE(DigestsEqual(abc, Sha256Digest("abd")));
}

TEST(SecretTest, StoredDigestIsTheSha256OfThePartBeforeTheChecksum) {
  testing::FakeRandom random(10);
  const std::string secret = *GenerateSecret(random);
  absl::StatusOr<SecretDigest> digest = DigestPresentedSecret(secret);
  ASSERT_TRUE(digest.ok());
  EXPECT_TRUE(DigestsEqual(*digest, Sha256Digest(secret.substr(0, secret.size() - 6))));
}

}  // namespace
}  // namespace vpvm::auth
