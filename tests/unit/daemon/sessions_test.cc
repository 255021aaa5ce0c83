// Dashboard sessions in memory: they end by idling, by age, by sign-out and when their token
// changes, and a use keeps a session from idling out.

#include "daemon/sessions.h"

#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::daemon {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

class SessionStoreTest : public ::testing::Test {
 protected:
  std::string Open(const std::string& token_id) {
    auto opened = sessions_.Open(token_id, false);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? opened->first : "";
  }

  auth::FakeClock clock_{kStart};
  testing::FakeRandom random_;
  SessionStore sessions_{
      clock_, random_,
      SessionStore::Options{.idle_timeout = absl::Minutes(10), .lifetime = absl::Hours(1)}};
};

TEST_F(SessionStoreTest, OpenedSessionIsFoundWithItsTokenAndCsrfToken) {
  auto opened = sessions_.Open("tok_a", true);
  ASSERT_TRUE(opened.ok());
  EXPECT_GE(opened->first.size(), 40u);  // 256 random bits
  std::optional<SessionStore::Session> found = sessions_.Find(opened->first);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->token_id, "tok_a");
  EXPECT_TRUE(found->two_factor_verified);
  EXPECT_FALSE(found->csrf_token.empty());
  EXPECT_NE(found->csrf_token, opened->first);
  EXPECT_EQ(found->expire_time, kStart + absl::Minutes(10));
  EXPECT_FALSE(sessions_.Find("not-a-session").has_value());
}

TEST_F(SessionStoreTest, UnusedSessionIdlesOutAndAUseKeepsItAlive) {
  const std::string kept = Open("tok_a");
  const std::string idle = Open("tok_b");
  clock_.Advance(absl::Minutes(9));
  EXPECT_TRUE(sessions_.Find(kept).has_value());
  clock_.Advance(absl::Minutes(9));
  EXPECT_TRUE(sessions_.Find(kept).has_value());
  EXPECT_FALSE(sessions_.Find(idle).has_value());
}

TEST_F(SessionStoreTest, SessionEndsAtItsLifetimeHoweverBusy) {
  const std::string id = Open("tok_a");
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(absl::Minutes(9));
    EXPECT_TRUE(sessions_.Find(id).has_value());
  }
  clock_.Advance(absl::Minutes(9));  // 63 minutes after opening
  EXPECT_FALSE(sessions_.Find(id).has_value());
}

TEST_F(SessionStoreTest, EndAllOfEndsOnlyThatTokensSessions) {
  const std::string a1 = Open("tok_a");
  const std::string a2 = Open("tok_a");
  const std::string b = Open("tok_b");
  sessions_.EndAllOf("tok_a");
  EXPECT_FALSE(sessions_.Find(a1).has_value());
  EXPECT_FALSE(sessions_.Find(a2).has_value());
  EXPECT_TRUE(sessions_.Find(b).has_value());
}

TEST_F(SessionStoreTest, EndingOneSessionLeavesTheOthers) {
  const std::string a1 = Open("tok_a");
  const std::string a2 = Open("tok_a");
  sessions_.End(a1);
  EXPECT_FALSE(sessions_.Find(a1).has_value());
  EXPECT_TRUE(sessions_.Find(a2).has_value());
}

}  // namespace
}  // namespace vpvm::daemon
