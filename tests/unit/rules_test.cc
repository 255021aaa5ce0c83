#include "libauth/rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vpvm::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TokenSpec OperatorOn(std::vector<VmRef> vms) {
  TokenSpec spec;
  spec.label = "CI Pipeline";
  spec.access_level = AccessLevel::kOperator;
  spec.vm_scope.vms = std::move(vms);
  return spec;
}

TokenSpec AdminOnAll() {
  TokenSpec spec;
  spec.label = "Admin Tool";
  spec.access_level = AccessLevel::kAdmin;
  spec.vm_scope = VmScope::All();
  return spec;
}

Token Stored(const TokenSpec& spec) {
  Token t;
  t.id = "tok_000000000001";
  t.label = spec.label;
  t.access_level = spec.access_level;
  t.vm_scope = spec.vm_scope;
  t.extended = spec.extended;
  t.expires_at = spec.expires_at;
  return t;
}

TEST(RulesTest, LabelIsTrimmed) {
  TokenSpec spec = AdminOnAll();
  spec.label = "  Nightly build \t";
  absl::StatusOr<TokenSpec> valid = ValidateNewToken(spec, kNow);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(valid->label, "Nightly build");
}

TEST(RulesTest, LabelIsRequired) {
  TokenSpec spec = AdminOnAll();
  spec.label = "   ";
  EXPECT_THAT(ValidateNewToken(spec, kNow).status().message(), HasSubstr("label is required"));
}

TEST(RulesTest, LabelOfHundredCharactersIsAcceptedAndLongerRefused) {
  TokenSpec spec = AdminOnAll();
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "\xC3\xA9";  // é: two bytes, one character
  spec.label = hundred;
  EXPECT_TRUE(ValidateNewToken(spec, kNow).ok());
  spec.label = hundred + "x";
  EXPECT_THAT(ValidateNewToken(spec, kNow).status().message(), HasSubstr("at most 100"));
}

TEST(RulesTest, LabelWithControlCharacterIsRefused) {
  TokenSpec spec = AdminOnAll();
  spec.label = "line\nbreak";
  EXPECT_FALSE(ValidateNewToken(spec, kNow).ok());
}

TEST(RulesTest, EmptyVmListIsRefusedNotWidenedToAllVms) {
  TokenSpec spec = OperatorOn({});
  absl::StatusOr<TokenSpec> result = ValidateNewToken(spec, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("VM list is empty"));
}

TEST(RulesTest, AllVmsTogetherWithAListIsRefused) {
  TokenSpec spec = AdminOnAll();
  spec.vm_scope.vms = {{"vm-1", "web"}};
  EXPECT_FALSE(ValidateNewToken(spec, kNow).ok());
}

TEST(RulesTest, VmListKeepsIdsAndNamesAndDropsRepeats) {
  TokenSpec spec = OperatorOn({{"id-1", "ubuntu-dev"}, {"id-2", "ubuntu-test"}, {"id-1", "x"}});
  absl::StatusOr<TokenSpec> valid = ValidateNewToken(spec, kNow);
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(valid->vm_scope.vms,
            (std::vector<VmRef>{{"id-1", "ubuntu-dev"}, {"id-2", "ubuntu-test"}}));
  EXPECT_FALSE(valid->vm_scope.all_vms);
}

TEST(RulesTest, VmWithEmptyIdIsRefused) {
  EXPECT_FALSE(ValidateNewToken(OperatorOn({{"", "web"}}), kNow).ok());
}

TEST(RulesTest, ExtendedPermissionsNeedAdminOnAllVms) {
  TokenSpec admin_all = AdminOnAll();
  admin_all.extended.templates = true;
  EXPECT_TRUE(ValidateNewToken(admin_all, kNow).ok());

  TokenSpec operator_all = admin_all;
  operator_all.access_level = AccessLevel::kOperator;
  EXPECT_THAT(ValidateNewToken(operator_all, kNow).status().message(),
              HasSubstr("Admin token scoped to All VMs"));

  TokenSpec admin_listed = admin_all;
  admin_listed.vm_scope = VmScope{false, {{"id-1", "web"}}};
  EXPECT_FALSE(ValidateNewToken(admin_listed, kNow).ok());
}

TEST(RulesTest, ExpiryInThePastOrNowIsRefused) {
  TokenSpec spec = AdminOnAll();
  spec.expires_at = kNow - absl::Seconds(1);
  EXPECT_THAT(ValidateNewToken(spec, kNow).status().message(), HasSubstr("in the past"));
  spec.expires_at = kNow;
  EXPECT_FALSE(ValidateNewToken(spec, kNow).ok());
  spec.expires_at = kNow + absl::Seconds(1);
  EXPECT_TRUE(ValidateNewToken(spec, kNow).ok());
}

TEST(RulesTest, UnknownLevelIsRefused) {
  TokenSpec spec = AdminOnAll();
  spec.access_level = static_cast<AccessLevel>(3);
  EXPECT_THAT(ValidateNewToken(spec, kNow).status().message(), HasSubstr("operator or admin"));
  TokenEdit edit;
  edit.access_level = static_cast<AccessLevel>(0);
  EXPECT_FALSE(ApplyEdit(Stored(AdminOnAll()), edit, kNow).ok());
}

TEST(RulesTest, ExpiryIsKeptToTheMicrosecondAndBeforeTheYear10000) {
  TokenSpec spec = AdminOnAll();
  spec.expires_at = kNow + absl::Hours(1) + absl::Nanoseconds(999);
  EXPECT_EQ(ValidateNewToken(spec, kNow)->expires_at, kNow + absl::Hours(1));
  spec.expires_at = kNow + absl::Nanoseconds(500);  // the same microsecond as now: past
  EXPECT_FALSE(ValidateNewToken(spec, kNow).ok());
  spec.expires_at = absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  EXPECT_THAT(ValidateNewToken(spec, kNow).status().message(), HasSubstr("9999"));
}

TEST(RulesTest, LoweringLevelClearsExtendedPermissions) {
  TokenSpec spec = AdminOnAll();
  spec.extended.networks = true;
  TokenEdit edit;
  edit.access_level = AccessLevel::kOperator;
  absl::StatusOr<Token> edited = ApplyEdit(Stored(spec), edit, kNow);
  ASSERT_TRUE(edited.ok());
  EXPECT_FALSE(edited->extended.Any());
}

TEST(RulesTest, NarrowingScopeClearsExtendedPermissions) {
  TokenSpec spec = AdminOnAll();
  spec.extended.images = true;
  TokenEdit edit;
  edit.vm_scope = VmScope{false, {{"id-1", "web"}}};
  absl::StatusOr<Token> edited = ApplyEdit(Stored(spec), edit, kNow);
  ASSERT_TRUE(edited.ok());
  EXPECT_FALSE(edited->extended.Any());
  EXPECT_FALSE(edited->vm_scope.all_vms);
}

TEST(RulesTest, EditAskingExtendedOnOperatorIsRefused) {
  TokenEdit edit;
  edit.extended = ExtendedPermissions{true, false, false};
  EXPECT_FALSE(ApplyEdit(Stored(OperatorOn({{"id-1", "web"}})), edit, kNow).ok());
}

TEST(RulesTest, EditToEmptyVmListIsRefused) {
  TokenEdit edit;
  edit.vm_scope = VmScope{};
  absl::StatusOr<Token> edited = ApplyEdit(Stored(AdminOnAll()), edit, kNow);
  ASSERT_FALSE(edited.ok());
  EXPECT_THAT(edited.status().message(), HasSubstr("VM list is empty"));
}

TEST(RulesTest, EditCanClearOrSetExpiryButNotIntoThePast) {
  TokenSpec spec = AdminOnAll();
  spec.expires_at = kNow + absl::Hours(1);
  TokenEdit never;
  never.expires_at = std::optional<absl::Time>();
  EXPECT_EQ(ApplyEdit(Stored(spec), never, kNow)->expires_at, std::nullopt);

  TokenEdit past;
  past.expires_at = std::optional<absl::Time>(kNow - absl::Hours(1));
  EXPECT_FALSE(ApplyEdit(Stored(spec), past, kNow).ok());
}

TEST(RulesTest, RelabellingAnExpiredTokenLeavesItsExpiryAlone) {
  TokenSpec spec = AdminOnAll();
  spec.expires_at = kNow - absl::Hours(1);
  TokenEdit edit;
  edit.label = "renamed";
  absl::StatusOr<Token> edited = ApplyEdit(Stored(spec), edit, kNow);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->expires_at, kNow - absl::Hours(1));
}

TEST(RulesTest, MasterTokenCannotBeEdited) {
  Token master = Stored(AdminOnAll());
  master.is_master = true;
  TokenEdit edit;
  edit.label = "mine";
  EXPECT_FALSE(ApplyEdit(master, edit, kNow).ok());
}

TEST(TokenStatusTest, DisabledWinsOverExpiredAndExpiryAtNowHasPassed) {
  Token t;
  t.expires_at = kNow;
  EXPECT_EQ(t.StatusAt(kNow - absl::Seconds(1)), TokenStatus::kActive);
  EXPECT_EQ(t.StatusAt(kNow), TokenStatus::kExpired);
  t.disabled = true;
  EXPECT_EQ(t.StatusAt(kNow), TokenStatus::kDisabled);
}

}  // namespace
}  // namespace vpvm::auth
