#include "libauth/store_schema.h"

#include "SQLiteCpp/Database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libauth/clock.h"
#include "libauth/token_store.h"
#include "tests/unit/test_util.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;

bool HasTable(SQLite::Database& db, const std::string& name) { return db.tableExists(name); }

bool HasIndex(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?");
  q.bind(1, name);
  q.executeStep();
  return q.getColumn(0).getInt() == 1;
}

class StoreSchemaTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  SQLite::Database db_{dir_.File("t.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
};

TEST_F(StoreSchemaTest, FreshDatabaseStartsAtVersionZero) { EXPECT_EQ(*SchemaVersion(db_), 0); }

TEST_F(StoreSchemaTest, Step1CreatesTokensAndTheirVms) {
  ASSERT_TRUE(MigrateTo(db_, 1).ok());
  EXPECT_EQ(*SchemaVersion(db_), 1);
  EXPECT_TRUE(HasTable(db_, "tokens"));
  EXPECT_TRUE(HasTable(db_, "token_vms"));
  EXPECT_FALSE(HasTable(db_, "token_totp"));
}

TEST_F(StoreSchemaTest, Step2AddsTwoFactorEnrolment) {
  ASSERT_TRUE(MigrateTo(db_, 1).ok());
  ASSERT_TRUE(MigrateTo(db_, 2).ok());
  EXPECT_EQ(*SchemaVersion(db_), 2);
  EXPECT_TRUE(HasTable(db_, "token_totp"));
  EXPECT_FALSE(HasIndex(db_, "tokens_by_status"));
}

TEST_F(StoreSchemaTest, Step3AddsListingIndexes) {
  ASSERT_TRUE(MigrateTo(db_, 2).ok());
  ASSERT_TRUE(MigrateTo(db_, 3).ok());
  EXPECT_EQ(*SchemaVersion(db_), 3);
  EXPECT_TRUE(HasIndex(db_, "tokens_by_status"));
  EXPECT_TRUE(HasIndex(db_, "token_vms_by_name"));
}

TEST_F(StoreSchemaTest, RowsWrittenAtVersion1SurviveLaterSteps) {
  ASSERT_TRUE(MigrateTo(db_, 1).ok());
  db_.exec(
      "INSERT INTO tokens (id, label, secret_sha256, access_level, all_vms, created_at_us) "
      "VALUES ('tok_aaaaaaaaaaaa', 'old', zeroblob(32), 1, 1, 0)");
  ASSERT_TRUE(MigrateTo(db_).ok());
  EXPECT_EQ(db_.execAndGet("SELECT label FROM tokens").getString(), "old");
}

TEST_F(StoreSchemaTest, MigratingTwiceChangesNothing) {
  ASSERT_TRUE(MigrateTo(db_).ok());
  ASSERT_TRUE(MigrateTo(db_).ok());
  EXPECT_EQ(*SchemaVersion(db_), kSchemaVersion);
}

TEST_F(StoreSchemaTest, NewerDatabaseIsRefused) {
  db_.exec("PRAGMA user_version = 99");
  absl::Status status = MigrateTo(db_);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("newer"));
  EXPECT_EQ(*SchemaVersion(db_), 99);
}

TEST(StoreOpenTest, NewerDatabaseIsRefusedAtOpenAndLeftAlone) {
  testing::TempDir dir;
  const std::string path = dir.File("vpvm.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  const std::string before = testing::ReadFile(path);
  SystemClock clock;
  OsRandom random;
  auto store = TokenStore::Open(path, clock, random);
  EXPECT_FALSE(store.ok());
  EXPECT_TRUE(testing::ReadFile(path) == before) << "the database file was changed";
}

TEST(StoreOpenTest, CorruptDatabaseIsRefusedWithAClearMessageAndLeftAlone) {
  testing::TempDir dir;
  const std::string path = dir.File("vpvm.db");
  const std::string garbage(8192, 'x');
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(garbage.data(), 1, garbage.size(), f);
    std::fclose(f);
  }
  SystemClock clock;
  OsRandom random;
  auto store = TokenStore::Open(path, clock, random);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_TRUE(testing::ReadFile(path) == garbage) << "the database file was changed";
  EXPECT_EQ(testing::FileMode(path + "-wal"), -1);
}

}  // namespace
}  // namespace vpvm::auth
