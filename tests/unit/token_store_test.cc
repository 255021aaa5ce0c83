#include "libauth/token_store.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "SQLiteCpp/Database.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TokenSpec Spec(std::string label, AccessLevel level, VmScope scope) {
  TokenSpec spec;
  spec.label = std::move(label);
  spec.access_level = level;
  spec.vm_scope = std::move(scope);
  return spec;
}

TokenSpec OperatorOnWeb() {
  return Spec("CI Pipeline", AccessLevel::kOperator,
              VmScope{false, {{"id-1", "ubuntu-dev"}, {"id-2", "ubuntu-test"}}});
}

std::vector<std::string> Labels(const TokenStore::Page& page) {
  std::vector<std::string> labels;
  for (const Token& t : page.tokens) labels.push_back(t.label);
  return labels;
}

TokenStore::ListQuery WithStatus(TokenStore::StatusFilter status) {
  TokenStore::ListQuery query;
  query.status = status;
  return query;
}

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto opened = TokenStore::Open(path_, clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  TokenStore::Issued MustCreate(const TokenSpec& spec) {
    auto issued = store_->Create(spec);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *issued;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.File("vpvm.db");
  FakeClock clock_{kStart};
  OsRandom random_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(TokenStoreTest, CreatedTokenVerifiesByItsSecretAndNotByItsId) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  EXPECT_TRUE(absl::StartsWith(issued.token.id, "tok_"));
  EXPECT_EQ(issued.token.created_at, kStart);

  auto verified = store_->Verify(issued.secret);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ((*verified)->id, issued.token.id);
  EXPECT_EQ((*verified)->vm_scope, issued.token.vm_scope);

  EXPECT_EQ(store_->Verify(issued.token.id).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenStoreTest, WellFormedButUnknownSecretIsRefused) {
  MustCreate(OperatorOnWeb());
  auto stranger = GenerateSecret(random_);
  ASSERT_TRUE(stranger.ok());
  auto verified = store_->Verify(*stranger);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(verified.status().message(), HasSubstr("unknown token"));
}

TEST_F(TokenStoreTest, MalformedSecretIsRefusedByFormat) {
  auto verified = store_->Verify("vpvm_short");
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(verified.status().message(), HasSubstr("malformed"));
}

TEST_F(TokenStoreTest, SecretIsNeverWrittenToDisk) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  store_.reset();  // checkpoint and close
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string bytes = testing::ReadFile(path_ + suffix);
    EXPECT_FALSE(absl::StrContains(bytes, issued.secret)) << suffix;
    EXPECT_FALSE(absl::StrContains(bytes, issued.secret.substr(5))) << suffix;
  }
}

TEST_F(TokenStoreTest, DatabaseFilesArePrivateWhateverTheUmask) {
  store_.reset();
  ::unlink(path_.c_str());
  const mode_t old_mask = ::umask(022);
  Reopen();
  MustCreate(OperatorOnWeb());
  ::umask(old_mask);
  EXPECT_EQ(testing::FileMode(path_), 0600);
  EXPECT_EQ(testing::FileMode(path_ + "-wal"), 0600);
  EXPECT_EQ(testing::FileMode(path_ + "-shm"), 0600);
}

TEST_F(TokenStoreTest, DatabaseUsesWriteAheadLogging) {
  store_.reset();
  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(TokenStoreTest, TokensSurviveReopening) {
  TokenSpec spec = Spec("Admin Tool", AccessLevel::kAdmin, VmScope::All());
  spec.extended.templates = true;
  spec.expires_at = kStart + absl::Hours(24 * 30);
  TokenStore::Issued issued = MustCreate(spec);
  TokenStore::Issued listed = MustCreate(OperatorOnWeb());
  Reopen();
  auto got = store_->Get(issued.token.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->label, "Admin Tool");
  EXPECT_EQ(got->access_level, AccessLevel::kAdmin);
  EXPECT_TRUE(got->vm_scope.all_vms);
  EXPECT_TRUE(got->extended.templates);
  EXPECT_FALSE(got->extended.images);
  EXPECT_EQ(got->expires_at, spec.expires_at);
  EXPECT_TRUE(store_->Verify(issued.secret).ok());
  EXPECT_EQ(store_->Get(listed.token.id)->vm_scope.vms,
            (std::vector<VmRef>{{"id-1", "ubuntu-dev"}, {"id-2", "ubuntu-test"}}));
}

TEST_F(TokenStoreTest, InvalidSpecIsRefusedAndNothingIsStored) {
  TokenSpec empty_list = Spec("x", AccessLevel::kOperator, VmScope{});
  EXPECT_EQ(store_->Create(empty_list).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List({})->total_size, 0);
}

TEST_F(TokenStoreTest, RotateKeepsEverythingButTheSecretAndRefusesTheOldOneAtOnce) {
  TokenStore::Issued first = MustCreate(OperatorOnWeb());
  auto rotated = store_->Rotate(first.token.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->secret, first.secret);
  EXPECT_EQ(rotated->token.id, first.token.id);
  EXPECT_EQ(rotated->token.vm_scope, first.token.vm_scope);
  EXPECT_EQ(rotated->token.created_at, first.token.created_at);
  EXPECT_FALSE(store_->Verify(first.secret).ok());
  EXPECT_TRUE(store_->Verify(rotated->secret).ok());
  Reopen();
  EXPECT_FALSE(store_->Verify(first.secret).ok());
  EXPECT_TRUE(store_->Verify(rotated->secret).ok());
}

TEST_F(TokenStoreTest, DisableAndEnableAreReversibleAndSeenByTheNextVerify) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  ASSERT_TRUE(store_->SetDisabled(issued.token.id, true).ok());
  EXPECT_EQ((*store_->Verify(issued.secret))->StatusAt(clock_.Now()), TokenStatus::kDisabled);
  ASSERT_TRUE(store_->SetDisabled(issued.token.id, false).ok());
  EXPECT_EQ((*store_->Verify(issued.secret))->StatusAt(clock_.Now()), TokenStatus::kActive);
}

TEST_F(TokenStoreTest, RevokeDeletesTheToken) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  ASSERT_TRUE(store_->Revoke(issued.token.id).ok());
  EXPECT_EQ(store_->Get(issued.token.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(store_->Verify(issued.secret).ok());
  EXPECT_EQ(store_->Revoke(issued.token.id).code(), absl::StatusCode::kNotFound);
  Reopen();
  EXPECT_FALSE(store_->Verify(issued.secret).ok());
  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM token_vms").getInt(), 0);
}

TEST_F(TokenStoreTest, EditChangesOnlyWhatItNamesAndPersists) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  TokenEdit edit;
  edit.label = " Nightly ";
  edit.vm_scope = VmScope{false, {{"id-3", "db"}}};
  auto edited = store_->Edit(issued.token.id, edit);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->label, "Nightly");
  EXPECT_EQ(edited->access_level, AccessLevel::kOperator);
  Reopen();
  auto got = store_->Get(issued.token.id);
  EXPECT_EQ(got->vm_scope.vms, (std::vector<VmRef>{{"id-3", "db"}}));
  EXPECT_TRUE(store_->Verify(issued.secret).ok());
}

TEST_F(TokenStoreTest, RefusedEditLosesNothing) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  TokenEdit edit;
  edit.label = "fine";
  edit.vm_scope = VmScope{};  // empty list: refused
  EXPECT_FALSE(store_->Edit(issued.token.id, edit).ok());
  Reopen();
  EXPECT_EQ(store_->Get(issued.token.id)->label, "CI Pipeline");
  EXPECT_EQ(store_->Get(issued.token.id)->vm_scope.vms.size(), 2u);
}

TEST_F(TokenStoreTest, ExpiredStatusAppearsWithTimeAloneAndTokenStaysListed) {
  TokenSpec spec = OperatorOnWeb();
  spec.expires_at = kStart + absl::Hours(1);
  TokenStore::Issued issued = MustCreate(spec);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ((*store_->Verify(issued.secret))->StatusAt(clock_.Now()), TokenStatus::kExpired);
  EXPECT_EQ(store_->List({})->total_size, 1);
}

TEST_F(TokenStoreTest, ListFiltersByStatus) {
  TokenSpec expiring = Spec("expiring", AccessLevel::kAdmin, VmScope::All());
  expiring.expires_at = kStart + absl::Minutes(5);
  MustCreate(Spec("active", AccessLevel::kAdmin, VmScope::All()));
  MustCreate(expiring);
  TokenStore::Issued off = MustCreate(Spec("disabled", AccessLevel::kAdmin, VmScope::All()));
  ASSERT_TRUE(store_->SetDisabled(off.token.id, true).ok());
  clock_.Advance(absl::Minutes(10));

  using F = TokenStore::StatusFilter;
  EXPECT_THAT(Labels(*store_->List(WithStatus(F::kAll))),
              ElementsAre("active", "expiring", "disabled"));
  EXPECT_THAT(Labels(*store_->List(WithStatus(F::kActive))), ElementsAre("active"));
  EXPECT_THAT(Labels(*store_->List(WithStatus(F::kExpired))), ElementsAre("expiring"));
  EXPECT_THAT(Labels(*store_->List(WithStatus(F::kDisabled))), ElementsAre("disabled"));
}

TEST_F(TokenStoreTest, DisabledAndExpiredTokenIsListedAsDisabledOnly) {
  TokenSpec spec = Spec("both", AccessLevel::kAdmin, VmScope::All());
  spec.expires_at = kStart + absl::Minutes(1);
  TokenStore::Issued issued = MustCreate(spec);
  ASSERT_TRUE(store_->SetDisabled(issued.token.id, true).ok());
  clock_.Advance(absl::Minutes(2));
  using F = TokenStore::StatusFilter;
  EXPECT_EQ(store_->List(WithStatus(F::kDisabled))->total_size, 1);
  EXPECT_EQ(store_->List(WithStatus(F::kExpired))->total_size, 0);
}

TEST_F(TokenStoreTest, SearchMatchesLabelsAndVmNamesCaseInsensitively) {
  MustCreate(OperatorOnWeb());  // VMs ubuntu-dev, ubuntu-test
  MustCreate(Spec("Grafana scraper", AccessLevel::kOperator, VmScope{false, {{"id-9", "mon"}}}));
  MustCreate(Spec("100% literal", AccessLevel::kAdmin, VmScope::All()));

  TokenStore::ListQuery q;
  q.search = "GRAFANA";
  EXPECT_THAT(Labels(*store_->List(q)), ElementsAre("Grafana scraper"));
  q.search = "ubuntu-TEST";
  EXPECT_THAT(Labels(*store_->List(q)), ElementsAre("CI Pipeline"));
  q.search = store_->List({})->tokens[1].id.substr(4);
  EXPECT_THAT(Labels(*store_->List(q)), ElementsAre("Grafana scraper"));
  q.search = "%";
  EXPECT_THAT(Labels(*store_->List(q)), ElementsAre("100% literal"));
  q.search = "100_";  // "_" is no wildcard: "100%" does not match
  EXPECT_EQ(store_->List(q)->total_size, 0);
}

TEST_F(TokenStoreTest, PagesCoverEveryTokenOnceInCreationOrder) {
  for (int i = 0; i < 25; ++i) {
    MustCreate(Spec(absl::StrCat("t", i), AccessLevel::kAdmin, VmScope::All()));
    clock_.Advance(absl::Seconds(i % 3 == 0 ? 0 : 1));  // some share a creation time
  }
  std::vector<std::string> seen;
  TokenStore::ListQuery q;
  q.page_size = 10;
  int pages = 0;
  do {
    auto page = store_->List(q);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total_size, 25);
    for (const Token& t : page->tokens) seen.push_back(t.label);
    q.page_token = page->next_page_token;
    ++pages;
  } while (!q.page_token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  absl::flat_hash_set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), 25u);
}

TEST_F(TokenStoreTest, BadPageTokenAndSizeAreRefused) {
  TokenStore::ListQuery q;
  q.page_token = "not-a-token";
  EXPECT_EQ(store_->List(q).status().code(), absl::StatusCode::kInvalidArgument);
  q.page_token.clear();
  q.page_size = -1;
  EXPECT_EQ(store_->List(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenStoreTest, MasterTokenIsNotListedAndNotChangedByTokenCommands) {
  auto master = store_->CreateMaster([](absl::string_view) { return absl::OkStatus(); });
  ASSERT_TRUE(master.ok());
  EXPECT_TRUE((*store_->Verify(master->secret))->is_master);
  EXPECT_EQ(store_->List({})->total_size, 0);
  EXPECT_EQ(store_->Rotate("master").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Revoke("master").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->SetDisabled("master", true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->Verify(master->secret).ok());
}

TEST_F(TokenStoreTest, LastUsesArePersistedAndUnknownTokensSkipped) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  const LastUse uses[] = {{issued.token.id, kStart + absl::Seconds(5), "192.0.2.7"},
                          {"tok_gone00000000", kStart, "::1"}};
  ASSERT_TRUE(store_->WriteLastUses(uses).ok());
  EXPECT_EQ(store_->Get(issued.token.id)->last_used_address, "192.0.2.7");
  Reopen();
  auto got = store_->Get(issued.token.id);
  EXPECT_EQ(got->last_used_at, kStart + absl::Seconds(5));
  EXPECT_EQ(got->last_used_address, "192.0.2.7");
}

TEST_F(TokenStoreTest, RenamedVmIsShownAndFoundByItsNewName) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());  // id-1 ubuntu-dev, id-2 ubuntu-test
  ASSERT_TRUE(store_->RecordVmName("id-1", "web-frontend").ok());
  EXPECT_EQ(store_->Get(issued.token.id)->vm_scope.vms[0].name, "web-frontend");
  TokenStore::ListQuery q;
  q.search = "frontend";
  EXPECT_EQ(store_->List(q)->total_size, 1);
  Reopen();
  EXPECT_EQ(store_->Get(issued.token.id)->vm_scope.vms[0], (VmRef{"id-1", "web-frontend"}));
  EXPECT_EQ(store_->Get(issued.token.id)->vm_scope.vms[1], (VmRef{"id-2", "ubuntu-test"}));
  EXPECT_TRUE(store_->Verify(issued.secret).ok());
}

TEST_F(TokenStoreTest, OlderLastUseNeverReplacesANewerOne) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  const LastUse newer[] = {{issued.token.id, kStart + absl::Seconds(9), "192.0.2.9"}};
  const LastUse older[] = {{issued.token.id, kStart + absl::Seconds(3), "192.0.2.3"}};
  ASSERT_TRUE(store_->WriteLastUses(newer).ok());
  ASSERT_TRUE(store_->WriteLastUses(older).ok());
  Reopen();
  EXPECT_EQ(store_->Get(issued.token.id)->last_used_address, "192.0.2.9");
}

TEST_F(TokenStoreTest, ConcurrentVerifyAndRotateNeverAcceptAStaleSecret) {
  TokenStore::Issued issued = MustCreate(OperatorOnWeb());
  absl::Mutex mu;
  std::vector<std::string> secrets = {issued.secret};  // in issue order
  std::atomic<bool> done{false};
  std::atomic<int> accepted{0};

  std::thread rotator([&] {
    for (int i = 0; i < 200; ++i) {
      auto rotated = store_->Rotate(issued.token.id);
      EXPECT_TRUE(rotated.ok()) << rotated.status();
      if (!rotated.ok()) break;
      absl::MutexLock lock(&mu);
      secrets.push_back(rotated->secret);
    }
    done = true;  // also after a failure, so that the verifier ends
  });
  std::thread verifier([&] {
    while (!done) {
      std::vector<std::string> known;
      {
        absl::MutexLock lock(&mu);
        known = secrets;
      }
      // Every secret older than the one before the newest has certainly been replaced.
      for (size_t i = 0; i + 2 < known.size(); ++i) {
        EXPECT_FALSE(store_->Verify(known[i]).ok()) << "stale secret #" << i << " accepted";
      }
      if (store_->Verify(known.back()).ok()) ++accepted;
    }
  });
  rotator.join();
  verifier.join();

  for (size_t i = 0; i + 1 < secrets.size(); ++i) EXPECT_FALSE(store_->Verify(secrets[i]).ok());
  EXPECT_TRUE(store_->Verify(secrets.back()).ok());
  EXPECT_GT(accepted.load(), 0);
}

TEST_F(TokenStoreTest, ReopenedAfterAKillMidWriteHoldsOnlyWholeTransactions) {
  store_.reset();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes tokens of three VMs each as fast as it can until it is killed.
    SystemClock clock;
    OsRandom random;
    auto store = TokenStore::Open(path_, clock, random);
    if (!store.ok()) ::_exit(2);
    TokenSpec spec =
        Spec("crash", AccessLevel::kOperator, VmScope{false, {{"a", "a"}, {"b", "b"}, {"c", "c"}}});
    for (;;) {
      if (!(*store)->Create(spec).ok()) ::_exit(3);
    }
  }
  // Let it write for a while, then kill it without warning.
  for (int tries = 0; tries < 400; ++tries) {
    ::usleep(10'000);
    struct stat st;
    if (::stat((path_ + "-wal").c_str(), &st) == 0 && st.st_size > 256 * 1024) break;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself with " << status;

  Reopen();
  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  const int tokens = db.execAndGet("SELECT COUNT(*) FROM tokens").getInt();
  EXPECT_GT(tokens, 0);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM token_vms").getInt(), 3 * tokens);
  EXPECT_EQ(static_cast<int>(store_->size()), tokens);
}

}  // namespace
}  // namespace vpvm::auth
