#include "libauth/master_token.h"

#include "SQLiteCpp/Database.h"
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

namespace vpvm::auth {
namespace {

class MasterRecoveryTest : public MasterTokenTest {
 protected:
  void Reopen() {
    store_.reset();
    auto opened = TokenStore::Open(dir_.File("vpvm.db"), clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
};

TEST_F(MasterRecoveryTest, RotationWhoseCommitFailsLeavesTheWorkingSecretInTheFile) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  {
    // A constraint checked only at commit stands in for a disk that fills up at commit.
    SQLite::Database db(dir_.File("vpvm.db"), SQLite::OPEN_READWRITE);
    db.exec(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
        "CREATE TRIGGER fail_at_commit AFTER UPDATE ON tokens WHEN NEW.id = 'master' "
        "BEGIN INSERT INTO child VALUES (42); END");
  }
  Reopen();
  EXPECT_FALSE(RotateMasterToken(*store_, secret_file_).ok());
  EXPECT_TRUE(store_->Verify(*ReadSecretFile(secret_file_)).ok());
  EXPECT_EQ(testing::FileMode(secret_file_ + ".staged"), -1);
}

TEST_F(MasterRecoveryTest, SecretStagedAndCommittedButNotInstalledIsInstalledOnNextUse) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  const std::string old_secret = *ReadSecretFile(secret_file_);
  // A crash after the commit and before the rename: the database knows only the staged secret.
  std::string staged_secret;
  ASSERT_TRUE(store_
                  ->RotateMaster([&](absl::string_view secret) {
                    staged_secret = std::string(secret);
                    std::FILE* f = std::fopen((secret_file_ + ".staged").c_str(), "w");
                    std::fputs(staged_secret.c_str(), f);
                    std::fclose(f);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_FALSE(store_->Verify(old_secret).ok());
  Reopen();
  auto created = EnsureMasterToken(*store_, secret_file_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(*created);
  EXPECT_EQ(*ReadSecretFile(secret_file_), staged_secret);
  EXPECT_TRUE(store_->Verify(*ReadSecretFile(secret_file_)).ok());
  EXPECT_EQ(testing::FileMode(secret_file_ + ".staged"), -1);
}

TEST_F(MasterRecoveryTest, SecretStagedButNeverCommittedIsDiscarded) {
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  const std::string good = *ReadSecretFile(secret_file_);
  std::FILE* f = std::fopen((secret_file_ + ".staged").c_str(), "w");
  std::fputs(GenerateSecret(random_)->c_str(), f);
  std::fclose(f);
  ASSERT_TRUE(EnsureMasterToken(*store_, secret_file_).ok());
  EXPECT_EQ(*ReadSecretFile(secret_file_), good);
  EXPECT_EQ(testing::FileMode(secret_file_ + ".staged"), -1);
}

}  // namespace
}  // namespace vpvm::auth
