// The create and edit form on its own: the Extended Permissions rule, the checks made before a
// request is sent, and the requests it builds.

#include "gui-qml/token_form.h"

#include <QDate>
#include <QDateTime>

#include "gtest/gtest.h"
#include "gui-qml/token_text.h"

// Failures print QStrings as text.
inline void PrintTo(const QString& text, std::ostream* out) {
  *out << '"' << text.toStdString() << '"';
}

namespace vpvm::gui {
namespace {

TEST(TokenFormTest, ExtendedPermissionsOnlyForAdminOnAllVms) {
  TokenForm form;
  EXPECT_TRUE(form.allVms());
  EXPECT_FALSE(form.extendedAvailable());  // Operator
  form.setTemplates(true);
  EXPECT_FALSE(form.templates());

  form.setLevel("admin");
  EXPECT_TRUE(form.extendedAvailable());
  form.setAllVms(false);
  EXPECT_FALSE(form.extendedAvailable());
}

TEST(TokenFormTest, ExtendedPermissionsStartOff) {
  TokenForm form;
  form.setLevel("admin");
  EXPECT_FALSE(form.templates());
  EXPECT_FALSE(form.networks());
  EXPECT_FALSE(form.images());
}

TEST(TokenFormTest, ChangingTheLevelClearsExtendedPermissions) {
  TokenForm form;
  form.setLevel("admin");
  form.setTemplates(true);
  form.setImages(true);
  form.setLevel("operator");
  form.setLevel("admin");
  EXPECT_FALSE(form.templates());
  EXPECT_FALSE(form.images());
}

TEST(TokenFormTest, NarrowingTheScopeClearsExtendedPermissions) {
  TokenForm form;
  form.setLevel("admin");
  form.setNetworks(true);
  form.setAllVms(false);
  form.setAllVms(true);
  EXPECT_FALSE(form.networks());
}

TEST(TokenFormTest, CreateRequestCarriesWhatWasChosen) {
  TokenForm form;
  form.setLabel("  Admin Tool ");
  form.setLevel("admin");
  form.setTemplates(true);
  form.setImages(true);
  absl::StatusOr<v1::CreateTokenRequest> request = form.ToCreateRequest();
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->label(), "Admin Tool");
  EXPECT_EQ(request->access_level(), v1::ACCESS_LEVEL_ADMIN);
  EXPECT_TRUE(request->vm_scope().all_vms());
  ASSERT_EQ(request->extended_permissions_size(), 2);
  EXPECT_EQ(request->extended_permissions(0), v1::EXTENDED_PERMISSION_TEMPLATES);
  EXPECT_EQ(request->extended_permissions(1), v1::EXTENDED_PERMISSION_IMAGES);
  EXPECT_FALSE(request->has_expire_time());
}

TEST(TokenFormTest, AnEmptyVmListIsNeverAllVms) {
  TokenForm form;
  form.setLabel("t");
  form.setAllVms(false);
  EXPECT_EQ(form.problem(), "Choose at least one VM, or All VMs.");
  EXPECT_FALSE(form.ToCreateRequest().ok());

  form.setVmChecked("vm_aaaaaaaaaaaa", true);
  absl::StatusOr<v1::CreateTokenRequest> request = form.ToCreateRequest();
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(request->vm_scope().all_vms());
  ASSERT_EQ(request->vm_scope().vms_size(), 1);
  EXPECT_EQ(request->vm_scope().vms(0).id(), "vm_aaaaaaaaaaaa");
}

TEST(TokenFormTest, ALabelIsRequired) {
  TokenForm form;
  form.setLabel("   ");
  EXPECT_EQ(form.problem(), "Give the token a label.");
}

TEST(TokenFormTest, ExpiryIsTheEndOfTheChosenDayLocally) {
  TokenForm form;
  form.setLabel("t");
  form.setExpiryInDays(7);
  EXPECT_FALSE(form.neverExpires());
  absl::StatusOr<v1::CreateTokenRequest> request = form.ToCreateRequest();
  ASSERT_TRUE(request.ok()) << request.status();
  const QDateTime end(QDate::currentDate().addDays(8), QTime(0, 0));
  EXPECT_EQ(request->expire_time().seconds(), end.toSecsSinceEpoch());
}

TEST(TokenFormTest, APastOrMalformedExpiryIsRefused) {
  TokenForm form;
  form.setLabel("t");
  form.setNeverExpires(false);
  form.setExpiryDate("2020-01-01");
  EXPECT_EQ(form.problem(), "The expiry date 2020-01-01 has passed.");
  form.setExpiryDate("2030-13-45");
  EXPECT_EQ(form.problem(), "Write the expiry date as YYYY-MM-DD.");
}

v1::Token ListedOperatorToken() {
  v1::Token token;
  token.set_token_id("tok_aaaaaaaaaaaa");
  token.set_label("CI");
  token.set_access_level(v1::ACCESS_LEVEL_OPERATOR);
  v1::VmRef* vm = token.mutable_vm_scope()->add_vms();
  vm->set_id("vm_gone0000000");
  vm->set_name("gone");
  token.add_missing_vm_ids("vm_gone0000000");
  token.mutable_expire_time()->set_seconds(QDateTime::currentSecsSinceEpoch() - 3600);
  return token;
}

TEST(TokenFormTest, AnEditNamesOnlyTheFieldsThatChanged) {
  TokenForm form;
  form.Load(ListedOperatorToken());
  EXPECT_TRUE(form.editing());
  EXPECT_EQ(form.recordedVmName("vm_gone0000000"), "gone");
  // An expired token's past expiry is no problem while it is left alone.
  EXPECT_EQ(form.problem(), "");
  absl::StatusOr<v1::UpdateTokenRequest> unchanged = form.ToUpdateRequest();
  ASSERT_TRUE(unchanged.ok()) << unchanged.status();
  EXPECT_EQ(unchanged->update_mask().paths_size(), 0);

  form.setLabel("CI Pipeline");
  form.setNeverExpires(true);
  absl::StatusOr<v1::UpdateTokenRequest> request = form.ToUpdateRequest();
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->token_id(), "tok_aaaaaaaaaaaa");
  ASSERT_EQ(request->update_mask().paths_size(), 2);
  EXPECT_EQ(request->update_mask().paths(0), "label");
  EXPECT_EQ(request->update_mask().paths(1), "expire_time");
  EXPECT_EQ(request->label(), "CI Pipeline");
  EXPECT_FALSE(request->has_expire_time());  // never
}

TEST(TokenFormTest, AnEditOfTheVmsSendsTheWholeList) {
  TokenForm form;
  form.Load(ListedOperatorToken());
  form.setVmChecked("vm_new000000000", true);
  absl::StatusOr<v1::UpdateTokenRequest> request = form.ToUpdateRequest();
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->update_mask().paths_size(), 1);
  EXPECT_EQ(request->update_mask().paths(0), "vm_scope");
  EXPECT_EQ(request->vm_scope().vms_size(), 2);
}

TEST(TokenTextTest, RelativeTimes) {
  const QDateTime now = QDateTime::currentDateTime();
  EXPECT_EQ(Ago(now.addSecs(-20), now), "just now");
  EXPECT_EQ(Ago(now.addSecs(-300), now), "5 minutes ago");
  EXPECT_EQ(Ago(now.addSecs(-3 * 3600), now), "3 hours ago");
  EXPECT_EQ(Ago(now.addDays(-1), now), "yesterday");
  EXPECT_EQ(Ago(now.addDays(-12), now), "12 days ago");
  EXPECT_EQ(Remaining(now.addDays(27).addSecs(60), now), "27 days remaining");
  EXPECT_EQ(Remaining(now.addSecs(3600 + 60), now), "1 hour remaining");
  EXPECT_EQ(Remaining(now.addDays(30).addSecs(-5), now), "30 days remaining");
  EXPECT_EQ(Remaining(now.addSecs(90 * 60), now), "2 hours remaining");
  EXPECT_EQ(Remaining(now.addSecs(20), now), "1 minute remaining");
  EXPECT_EQ(Remaining(now.addDays(-2), now), "expired 2 days ago");
}

TEST(TokenTextTest, ErrorsInWordsForAPerson) {
  EXPECT_EQ(
      HumanError(absl::InvalidArgumentError("unknown VM \"web-1\""), "Could not create the token"),
      "Could not create the token: Unknown VM \"web-1\".");
  EXPECT_EQ(HumanError(absl::NotFoundError("no token tok_x"), "Could not revoke the token"),
            "Could not revoke the token: the token no longer exists; it may have been revoked "
            "elsewhere.");
  EXPECT_EQ(HumanError(absl::UnavailableError("lost the local vpvmd (/s): Socket closed"), "x"),
            "Lost the local vpvmd (/s): Socket closed. Is vpvmd running?");
  EXPECT_EQ(HumanError(absl::UnavailableError("cannot reach it: is vpvmd running?"), "x"),
            "Cannot reach it: is vpvmd running?");
}

}  // namespace
}  // namespace vpvm::gui
