#include "libauth/master_token.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::auth {
namespace {

class MasterTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = TokenStore::Open(dir_.File("vpvm.db"), clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  testing::TempDir dir_;
  std::string secret_file_ = dir_.File("master.token");
  SystemClock clock_;
  OsRandom random_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(MasterTokenTest, FirstUseCreatesTheMasterAndAPrivateSecretFile) {
  auto created = EnsureMasterToken(*store_, secret_file_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  EXPECT_EQ(testing::FileMode(secret_file_), 0600);
  auto secret = ReadSecretFile(secret_file_);
  ASSERT_TRUE(secret.ok());
  auto verified = store_->Verify(*secret);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE((*verified)->is_master);
  EXPECT_EQ((*verified)->id, "master");
}

TEST_F(MasterTokenTest, LaterUseLeavesMasterAndFileAlone) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  const std::string before = testing::ReadFile(secret_file_);
  auto created = EnsureMasterToken(*store_, secret_file_);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(*created);
  EXPECT_EQ(testing::ReadFile(secret_file_), before);
}

TEST_F(MasterTokenTest, RotationReplacesFileAndRefusesTheOldSecret) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  const std::string old_secret = *ReadSecretFile(secret_file_);
  ASSERT_TRUE(RotateMasterToken(*store_, secret_file_).ok());
  const std::string new_secret = *ReadSecretFile(secret_file_);
  EXPECT_NE(old_secret, new_secret);
  EXPECT_FALSE(store_->Verify(old_secret).ok());
  EXPECT_TRUE(store_->Verify(new_secret).ok());
  EXPECT_EQ(testing::FileMode(secret_file_), 0600);
}

TEST_F(MasterTokenTest, UnwritableSecretFileCreatesNoMaster) {
  const std::string unwritable = dir_.File("missing-folder/master.token");
  EXPECT_FALSE(EnsureMasterToken(*store_, unwritable).ok());
  EXPECT_FALSE(store_->HasMaster());
  // A later attempt with a usable path still works.
  EXPECT_TRUE(*EnsureMasterToken(*store_, secret_file_));
}

TEST_F(MasterTokenTest, FailedRotationKeepsTheOldSecret) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  const std::string old_secret = *ReadSecretFile(secret_file_);
  EXPECT_FALSE(RotateMasterToken(*store_, dir_.File("missing-folder/x")).ok());
  EXPECT_TRUE(store_->Verify(old_secret).ok());
}

}  // namespace
}  // namespace vpvm::auth
