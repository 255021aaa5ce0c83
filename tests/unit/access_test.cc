#include "libauth/access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;
using Verdict = AccessDecision::Verdict;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Token Master() {
  Token t;
  t.id = kMasterTokenId;
  t.is_master = true;
  t.access_level = AccessLevel::kAdmin;
  t.vm_scope = VmScope::All();
  return t;
}

Token Make(AccessLevel level, VmScope scope, ExtendedPermissions ext = {}) {
  Token t;
  t.id = "tok_aaaaaaaaaaaa";
  t.access_level = level;
  t.vm_scope = std::move(scope);
  t.extended = ext;
  return t;
}

const VmScope kListed{false, {{"id-web", "web"}}};
const VmTarget kWeb{"web", "id-web"};
const VmTarget kDb{"db", "id-db"};
const VmTarget kGhost{"ghost", std::nullopt};

Verdict VerdictOf(const Token* caller, const AccessRequirement& need,
                  std::optional<VmTarget> vm = std::nullopt) {
  return Decide(caller, need, vm, kNow).verdict;
}

TEST(AccessTest, PublicNeedsNoToken) {
  EXPECT_EQ(VerdictOf(nullptr, AccessRequirement::Public()), Verdict::kAllow);
}

TEST(AccessTest, EverythingElseNeedsAToken) {
  for (const AccessRequirement& need :
       {AccessRequirement::Self(), AccessRequirement::OnVm(AccessLevel::kOperator),
        AccessRequirement::OnAllVms(AccessLevel::kAdmin),
        AccessRequirement::Extended(ExtendedPermission::kImages), AccessRequirement::Master()}) {
    EXPECT_EQ(VerdictOf(nullptr, need, kWeb), Verdict::kUnauthenticated);
  }
}

TEST(AccessTest, DisabledAndExpiredTokensAreRefusedWithTheirReason) {
  Token expired = Make(AccessLevel::kAdmin, VmScope::All());
  expired.expires_at = kNow - absl::Minutes(1);
  AccessDecision d = Decide(&expired, AccessRequirement::Self(), std::nullopt, kNow);
  EXPECT_EQ(d.verdict, Verdict::kUnauthenticated);
  EXPECT_THAT(d.message, HasSubstr("expired"));

  expired.disabled = true;
  d = Decide(&expired, AccessRequirement::Self(), std::nullopt, kNow);
  EXPECT_EQ(d.verdict, Verdict::kUnauthenticated);
  EXPECT_THAT(d.message, HasSubstr("disabled"));
  EXPECT_EQ(d.ToStatus().code(), absl::StatusCode::kUnauthenticated);
}

TEST(AccessTest, ExpiryTakesEffectAtTheInstantWithoutAnyChange) {
  Token t = Make(AccessLevel::kAdmin, VmScope::All());
  t.expires_at = kNow;
  EXPECT_EQ(
      Decide(&t, AccessRequirement::Self(), std::nullopt, kNow - absl::Nanoseconds(1)).verdict,
      Verdict::kAllow);
  EXPECT_EQ(Decide(&t, AccessRequirement::Self(), std::nullopt, kNow).verdict,
            Verdict::kUnauthenticated);
}

// The DESIGN.md §4 table, row by row.
TEST(AccessTest, OnlyTheMasterManagesTokens) {
  Token master = Master();
  Token admin_all = Make(AccessLevel::kAdmin, VmScope::All(), {true, true, true});
  EXPECT_EQ(VerdictOf(&master, AccessRequirement::Master()), Verdict::kAllow);
  AccessDecision d = Decide(&admin_all, AccessRequirement::Master(), std::nullopt, kNow);
  EXPECT_EQ(d.verdict, Verdict::kPermissionDenied);
  EXPECT_THAT(d.message, HasSubstr("master"));
}

TEST(AccessTest, ReadAndPowerNeedOperatorOnTheVm) {
  const AccessRequirement need = AccessRequirement::OnVm(AccessLevel::kOperator);
  Token master = Master();
  Token admin_all = Make(AccessLevel::kAdmin, VmScope::All());
  Token admin_listed = Make(AccessLevel::kAdmin, kListed);
  Token op = Make(AccessLevel::kOperator, kListed);
  for (const Token* t : {&master, &admin_all, &admin_listed, &op}) {
    EXPECT_EQ(VerdictOf(t, need, kWeb), Verdict::kAllow) << t->id;
  }
  EXPECT_EQ(VerdictOf(&master, need, kDb), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&admin_all, need, kDb), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&admin_listed, need, kDb), Verdict::kNotFound);
  EXPECT_EQ(VerdictOf(&op, need, kDb), Verdict::kNotFound);
}

TEST(AccessTest, EditingNeedsAdminOnTheVmAndNamesTheMissingLevel) {
  const AccessRequirement need = AccessRequirement::OnVm(AccessLevel::kAdmin);
  Token admin_listed = Make(AccessLevel::kAdmin, kListed);
  Token op = Make(AccessLevel::kOperator, kListed);
  EXPECT_EQ(VerdictOf(&admin_listed, need, kWeb), Verdict::kAllow);
  AccessDecision d = Decide(&op, need, kWeb, kNow);
  EXPECT_EQ(d.verdict, Verdict::kPermissionDenied);
  EXPECT_THAT(d.message, HasSubstr("needs an Admin token"));
  // Outside its scope the operator learns nothing more than "not found".
  EXPECT_EQ(VerdictOf(&op, need, kDb), Verdict::kNotFound);
}

TEST(AccessTest, OutOfScopeAnswerIsIdenticalToNonexistentVm) {
  Token op = Make(AccessLevel::kOperator, kListed);
  const AccessRequirement need = AccessRequirement::OnVm(AccessLevel::kOperator);
  VmTarget existing_elsewhere{"ghost", "id-ghost"};  // exists, but outside the scope
  AccessDecision hidden = Decide(&op, need, existing_elsewhere, kNow);
  AccessDecision missing = Decide(&op, need, kGhost, kNow);
  EXPECT_EQ(hidden.verdict, missing.verdict);
  EXPECT_EQ(hidden.message, missing.message);
  EXPECT_EQ(hidden.message, VmNotFoundMessage("ghost"));
  Token master = Master();
  EXPECT_EQ(Decide(&master, need, kGhost, kNow).message, hidden.message);
}

TEST(AccessTest, CreatingAndDeletingVmsNeedAdminOnAllVms) {
  const AccessRequirement need = AccessRequirement::OnAllVms(AccessLevel::kAdmin);
  Token master = Master();
  Token admin_all = Make(AccessLevel::kAdmin, VmScope::All());
  Token admin_listed = Make(AccessLevel::kAdmin, kListed);
  Token op_all = Make(AccessLevel::kOperator, VmScope::All());
  EXPECT_EQ(VerdictOf(&master, need), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&admin_all, need), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&admin_listed, need), Verdict::kPermissionDenied);
  AccessDecision d = Decide(&op_all, need, std::nullopt, kNow);
  EXPECT_EQ(d.verdict, Verdict::kPermissionDenied);
  EXPECT_THAT(d.message, HasSubstr("Admin token scoped to All VMs"));
}

TEST(AccessTest, DeletingAVmOutsideTheScopeIsNotFoundBeforeTheLevelIsChecked) {
  const AccessRequirement need = AccessRequirement::OnAllVms(AccessLevel::kAdmin);
  Token admin_listed = Make(AccessLevel::kAdmin, kListed);
  Token admin_all = Make(AccessLevel::kAdmin, VmScope::All());
  Token master = Master();
  EXPECT_EQ(VerdictOf(&admin_listed, need, kDb), Verdict::kNotFound);
  EXPECT_EQ(Decide(&admin_listed, need, kDb, kNow).message, VmNotFoundMessage("db"));
  EXPECT_EQ(VerdictOf(&admin_listed, need, kWeb), Verdict::kPermissionDenied);
  EXPECT_EQ(VerdictOf(&admin_all, need, kDb), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&master, need, kGhost), Verdict::kNotFound);
}

TEST(AccessTest, VmListIsOpenToEveryValidTokenAndNeverRefusedForScope) {
  const AccessRequirement need = AccessRequirement::OnVmList(AccessLevel::kOperator);
  Token op = Make(AccessLevel::kOperator, kListed);
  EXPECT_EQ(VerdictOf(&op, need), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(nullptr, need), Verdict::kUnauthenticated);
  // A list needing more than Operator refuses an Operator, naming the level.
  AccessDecision d = Decide(&op, AccessRequirement::OnVmList(AccessLevel::kAdmin), {}, kNow);
  EXPECT_EQ(d.verdict, Verdict::kPermissionDenied);
  EXPECT_THAT(d.message, HasSubstr("needs an Admin token"));
}

TEST(AccessTest, ExtendedPermissionNeedsItsFlag) {
  const AccessRequirement need = AccessRequirement::Extended(ExtendedPermission::kNetworks);
  Token master = Master();
  Token with_flag = Make(AccessLevel::kAdmin, VmScope::All(), {false, true, false});
  Token other_flag = Make(AccessLevel::kAdmin, VmScope::All(), {true, false, true});
  Token admin_listed = Make(AccessLevel::kAdmin, kListed, {false, true, false});
  EXPECT_EQ(VerdictOf(&master, need), Verdict::kAllow);
  EXPECT_EQ(VerdictOf(&with_flag, need), Verdict::kAllow);
  AccessDecision d = Decide(&other_flag, need, std::nullopt, kNow);
  EXPECT_EQ(d.verdict, Verdict::kPermissionDenied);
  EXPECT_THAT(d.message, HasSubstr("\"networks\""));
  // A flag that the rules should have cleared still grants nothing off All VMs.
  EXPECT_EQ(VerdictOf(&admin_listed, need), Verdict::kPermissionDenied);
}

TEST(AccessTest, PerVmActionWithoutItsVmIsNeverAllowed) {
  Token op = Make(AccessLevel::kOperator, kListed);
  Token master = Master();
  const AccessRequirement need = AccessRequirement::OnVm(AccessLevel::kOperator);
  EXPECT_EQ(VerdictOf(&op, need, std::nullopt), Verdict::kNotFound);
  EXPECT_EQ(VerdictOf(&master, need, std::nullopt), Verdict::kNotFound);
}

TEST(AccessTest, UnknownLevelReachesNothing) {
  Token odd = Make(static_cast<AccessLevel>(3), kListed);
  EXPECT_EQ(VerdictOf(&odd, AccessRequirement::OnVm(AccessLevel::kOperator), kWeb),
            Verdict::kPermissionDenied);
}

TEST(AccessTest, SelfIsOpenToEveryValidToken) {
  Token op = Make(AccessLevel::kOperator, kListed);
  EXPECT_EQ(VerdictOf(&op, AccessRequirement::Self()), Verdict::kAllow);
}

TEST(AccessTest, ListsShowOnlyVmsInScope) {
  Token op = Make(AccessLevel::kOperator, kListed);
  Token master = Master();
  EXPECT_TRUE(CanSeeVm(op, "id-web"));
  EXPECT_FALSE(CanSeeVm(op, "id-db"));
  EXPECT_FALSE(CanSeeVm(op, "web"));  // names never stand in for ids
  EXPECT_TRUE(CanSeeVm(master, "id-db"));
}

TEST(AccessTest, VerdictsMapToTheirStatusCodes) {
  EXPECT_EQ((AccessDecision{Verdict::kNotFound, "x"}).ToStatus().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((AccessDecision{Verdict::kPermissionDenied, "x"}).ToStatus().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AccessDecision{}.ToStatus().ok());
}

}  // namespace
}  // namespace vpvm::auth
