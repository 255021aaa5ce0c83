// The Access Tokens window's state and actions (AccessTokens, its models and form) against a
// real vpvmd: every action as the window takes it, checked in the window's models and, through
// a second client, in the daemon.

#include "gui-qml/access_tokens.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "gtest/gtest.h"
#include "tests/gui/test_daemon.h"

// Failures print QStrings as text.
inline void PrintTo(const QString& text, std::ostream* out) {
  *out << '"' << text.toStdString() << '"';
}

namespace vpvm::gui {
namespace {

constexpr int kWaitMs = 20000;

class AccessTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = daemon_.Start();
    ASSERT_TRUE(started.ok()) << started;
    window_ = std::make_unique<AccessTokens>(daemon_.Settings());
    ASSERT_TRUE(QTest::qWaitFor([&] { return window_->listings() > 0; }, kWaitMs));
    ASSERT_TRUE(window_->connected()) << window_->errorMessage().toStdString();
  }
  void TearDown() override {
    window_.reset();
    daemon_.Stop();
  }

  // Lists again and waits for the answer.
  void Relist() {
    const int before = window_->listings();
    window_->refresh();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window_->listings() > before; }, kWaitMs));
  }

  // The sidebar's labels, in order.
  QStringList Labels() const {
    QStringList labels;
    for (int row = 0; row < window_->tokens()->rowCount(); ++row) {
      labels << window_->tokens()->get(row)["label"].toString();
    }
    return labels;
  }

  // Opens the create form and waits for the host's VMs to be listed in it.
  void StartCreate(int vms) {
    window_->startCreate();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window_->vms()->rowCount() == vms; }, kWaitMs));
  }

  QString VmIdOf(const QString& name) const {
    for (int row = 0; row < window_->vms()->rowCount(); ++row) {
      const QModelIndex index = window_->vms()->index(row);
      if (index.data(VmListModel::kNameRole) == name) {
        return index.data(VmListModel::kIdRole).toString();
      }
    }
    return {};
  }

  // Submits the create form; the revealed secret, or "" when none came.
  QString SubmitCreate() {
    QSignalSpy revealed(window_.get(), &AccessTokens::secretRevealed);
    window_->submitCreate();
    if (!revealed.wait(kWaitMs)) return {};
    return revealed.at(0).at(1).toString();
  }

  v1::Token DaemonToken(const QString& token_id) {
    absl::StatusOr<v1::Token> token = daemon_.GetToken(token_id.toStdString());
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or(v1::Token());
  }

  testing::TestDaemon daemon_;
  std::unique_ptr<AccessTokens> window_;
};

TEST_F(AccessTokensTest, CreatesAnOperatorTokenOnAllVms) {
  StartCreate(0);
  window_->form()->setLabel("CI Pipeline");
  const QString secret = SubmitCreate();
  ASSERT_TRUE(secret.startsWith("vpvm_")) << window_->formError().toStdString();
  EXPECT_TRUE(daemon_.Accepts(secret.toStdString()));

  const QVariantMap selected = window_->selected();
  EXPECT_EQ(selected["label"], "CI Pipeline");
  EXPECT_EQ(selected["vmScopeText"], "All VMs");
  EXPECT_EQ(selected["levelText"], "Operator");
  EXPECT_EQ(selected["expiryText"], "Never expires");
  const v1::Token stored = DaemonToken(window_->selectedId());
  EXPECT_TRUE(stored.vm_scope().all_vms());
  EXPECT_EQ(stored.access_level(), v1::ACCESS_LEVEL_OPERATOR);
  EXPECT_FALSE(stored.has_expire_time());

  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"CI Pipeline"}; }, kWaitMs));
}

TEST_F(AccessTokensTest, CreatesAnAdminTokenOnChosenVmsWithAnExpiry) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  ASSERT_TRUE(daemon_.CreateVm("db-1").ok());
  StartCreate(2);
  TokenForm& form = *window_->form();
  form.setLabel("Web deploys");
  form.setAllVms(false);
  form.setVmChecked(VmIdOf("web-1"), true);
  form.setLevel("admin");
  form.setExpiryInDays(7);
  const QString secret = SubmitCreate();
  ASSERT_FALSE(secret.isEmpty()) << window_->formError().toStdString();

  const v1::Token stored = DaemonToken(window_->selectedId());
  EXPECT_EQ(stored.access_level(), v1::ACCESS_LEVEL_ADMIN);
  ASSERT_EQ(stored.vm_scope().vms_size(), 1);
  EXPECT_EQ(stored.vm_scope().vms(0).name(), "web-1");
  EXPECT_EQ(stored.expire_time().seconds(),
            QDateTime(QDate::currentDate().addDays(8), QTime(0, 0)).toSecsSinceEpoch());
  EXPECT_EQ(window_->selected()["vmScopeText"], "web-1");
  EXPECT_TRUE(window_->selected()["expiryRemaining"].toString().endsWith("days remaining"));
}

TEST_F(AccessTokensTest, CreatesAnAdminTokenWithExtendedPermissions) {
  StartCreate(0);
  TokenForm& form = *window_->form();
  form.setLabel("Admin Tool");
  form.setLevel("admin");
  form.setTemplates(true);
  form.setNetworks(true);
  ASSERT_FALSE(SubmitCreate().isEmpty()) << window_->formError().toStdString();
  const v1::Token stored = DaemonToken(window_->selectedId());
  ASSERT_EQ(stored.extended_permissions_size(), 2);
  EXPECT_EQ(stored.extended_permissions(0), v1::EXTENDED_PERMISSION_TEMPLATES);
  EXPECT_EQ(stored.extended_permissions(1), v1::EXTENDED_PERMISSION_NETWORKS);
  EXPECT_EQ(window_->selected()["extended"].toStringList(), QStringList({"Templates", "Networks"}));
}

TEST_F(AccessTokensTest, ARefusedCreateKeepsTheFormAsTyped) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  StartCreate(1);
  TokenForm& form = *window_->form();
  form.setLabel("Too late");
  form.setAllVms(false);
  form.setVmChecked(VmIdOf("web-1"), true);
  // Another client deletes the VM while the form is open.
  ASSERT_TRUE(daemon_.DeleteVm("web-1").ok());
  QSignalSpy accepted(window_.get(), &AccessTokens::formAccepted);
  window_->submitCreate();
  ASSERT_TRUE(QTest::qWaitFor([&] { return !window_->formError().isEmpty(); }, kWaitMs));
  EXPECT_EQ(window_->formError(), "Could not create the token: Unknown VM \"web-1\".");
  EXPECT_EQ(accepted.count(), 0);
  EXPECT_EQ(form.label(), "Too late");
  EXPECT_EQ(form.vmIds().size(), 1);
  // The checklist is listed again: the VM is gone from it, still chosen in the form.
  ASSERT_TRUE(QTest::qWaitFor([&] { return window_->vms()->rowCount() == 0; }, kWaitMs));
  EXPECT_FALSE(window_->vms()->contains(form.vmIds()[0]));
  EXPECT_EQ(window_->vms()->nameOf(form.vmIds()[0]), "web-1");
  Relist();
  EXPECT_TRUE(Labels().isEmpty());
}

TEST_F(AccessTokensTest, FiltersByStatusAndSearchesLabelsAndVmNames) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  ASSERT_TRUE(daemon_.CreateToken("CI Pipeline", false, {"web-1"}).ok());
  absl::StatusOr<v1::CreateTokenResponse> monitoring = daemon_.CreateToken("Monitoring", false);
  ASSERT_TRUE(monitoring.ok());
  ASSERT_TRUE(daemon_.CreateToken("Old script", false, {}, 1).ok());
  window_->disable(QString::fromStdString(monitoring->token().token_id()));
  // The one-second token expires by itself; the periodic listing notices.
  window_->setPollInterval(200);
  window_->setStatusFilter("expired");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"Old script"}; }, kWaitMs));
  EXPECT_EQ(window_->tokens()->get(0)["status"], "expired");

  window_->setStatusFilter("disabled");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"Monitoring"}; }, kWaitMs));
  window_->setStatusFilter("active");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"CI Pipeline"}; }, kWaitMs));

  window_->setStatusFilter("all");
  window_->setSearch("web");  // a VM name
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"CI Pipeline"}; }, kWaitMs));
  window_->setSearch("SCRIPT");  // a label, any case
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"Old script"}; }, kWaitMs));
  window_->setSearch("");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels().size() == 3; }, kWaitMs));
}

TEST_F(AccessTokensTest, EditsATokenAndChangesOnlyWhatWasEdited) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  absl::StatusOr<v1::CreateTokenResponse> created =
      daemon_.CreateToken("CI", false, {"web-1"}, 86400 * 30);
  ASSERT_TRUE(created.ok());
  Relist();
  const QString id = QString::fromStdString(created->token().token_id());
  window_->select(id);
  window_->startEdit();
  ASSERT_TRUE(window_->editing());
  EXPECT_EQ(window_->form()->label(), "CI");
  window_->form()->setLabel("CI Pipeline");
  window_->form()->setLevel("admin");
  QSignalSpy accepted(window_.get(), &AccessTokens::formAccepted);
  window_->submitEdit();
  ASSERT_TRUE(accepted.wait(kWaitMs)) << window_->formError().toStdString();
  EXPECT_FALSE(window_->editing());

  const v1::Token stored = DaemonToken(id);
  EXPECT_EQ(stored.label(), "CI Pipeline");
  EXPECT_EQ(stored.access_level(), v1::ACCESS_LEVEL_ADMIN);
  EXPECT_EQ(stored.vm_scope().vms(0).name(), "web-1");
  EXPECT_EQ(stored.expire_time().seconds(), created->token().expire_time().seconds());
  EXPECT_EQ(window_->selected()["label"], "CI Pipeline");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"CI Pipeline"}; }, kWaitMs));
}

TEST_F(AccessTokensTest, ARefusedEditKeepsTheFormOpenAsTyped) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  ASSERT_TRUE(daemon_.CreateVm("db-1").ok());
  absl::StatusOr<v1::CreateTokenResponse> created = daemon_.CreateToken("CI", false, {"web-1"});
  ASSERT_TRUE(created.ok());
  Relist();
  window_->select(QString::fromStdString(created->token().token_id()));
  window_->startEdit();
  ASSERT_TRUE(QTest::qWaitFor([&] { return window_->vms()->rowCount() == 2; }, kWaitMs));
  window_->form()->setLabel("CI Pipeline");
  window_->form()->setVmChecked(VmIdOf("db-1"), true);
  ASSERT_TRUE(daemon_.DeleteVm("db-1").ok());  // by another client, while the form is open
  window_->submitEdit();
  ASSERT_TRUE(QTest::qWaitFor([&] { return !window_->formError().isEmpty(); }, kWaitMs));
  EXPECT_EQ(window_->formError(), "Could not save the changes: Unknown VM \"db-1\".");
  EXPECT_TRUE(window_->editing());
  EXPECT_EQ(window_->form()->label(), "CI Pipeline");
  EXPECT_EQ(window_->form()->vmIds().size(), 2);
  EXPECT_EQ(DaemonToken(window_->selectedId()).label(), "CI");  // nothing half-changed
}

TEST_F(AccessTokensTest, CancellingAnEditChangesNothing) {
  absl::StatusOr<v1::CreateTokenResponse> created = daemon_.CreateToken("CI", false);
  ASSERT_TRUE(created.ok());
  Relist();
  window_->select(QString::fromStdString(created->token().token_id()));
  window_->startEdit();
  window_->form()->setLabel("Something else");
  window_->cancelEdit();
  EXPECT_FALSE(window_->editing());
  EXPECT_EQ(DaemonToken(window_->selectedId()).label(), "CI");
}

TEST_F(AccessTokensTest, RotatingShowsANewSecretAndTheOldOneStopsWorking) {
  absl::StatusOr<v1::CreateTokenResponse> created = daemon_.CreateToken("CI", false);
  ASSERT_TRUE(created.ok());
  Relist();
  const QString id = QString::fromStdString(created->token().token_id());
  window_->select(id);
  QSignalSpy revealed(window_.get(), &AccessTokens::secretRevealed);
  window_->rotate(id);
  ASSERT_TRUE(revealed.wait(kWaitMs)) << window_->errorMessage().toStdString();
  EXPECT_EQ(revealed.at(0).at(0), "CI");
  EXPECT_TRUE(revealed.at(0).at(2).toBool());  // rotated
  const std::string secret = revealed.at(0).at(1).toString().toStdString();
  EXPECT_NE(secret, created->secret());
  EXPECT_TRUE(daemon_.Accepts(secret));
  EXPECT_FALSE(daemon_.Accepts(created->secret()));
  EXPECT_EQ(window_->selectedId(), id);
}

TEST_F(AccessTokensTest, DisablesAndEnablesAtOnce) {
  absl::StatusOr<v1::CreateTokenResponse> created = daemon_.CreateToken("CI", false);
  ASSERT_TRUE(created.ok());
  Relist();
  const QString id = QString::fromStdString(created->token().token_id());
  window_->select(id);
  window_->disable(id);
  ASSERT_TRUE(
      QTest::qWaitFor([&] { return window_->selected()["status"] == "disabled"; }, kWaitMs));
  EXPECT_TRUE(DaemonToken(id).disabled());
  EXPECT_FALSE(daemon_.Accepts(created->secret()));
  EXPECT_EQ(window_->tokens()->get(0)["status"], "disabled");

  window_->enable(id);
  ASSERT_TRUE(QTest::qWaitFor([&] { return window_->selected()["status"] == "active"; }, kWaitMs));
  EXPECT_TRUE(daemon_.Accepts(created->secret()));
}

TEST_F(AccessTokensTest, RevokingRemovesTheTokenFromTheList) {
  absl::StatusOr<v1::CreateTokenResponse> kept = daemon_.CreateToken("Kept", false);
  absl::StatusOr<v1::CreateTokenResponse> revoked = daemon_.CreateToken("Revoked", false);
  ASSERT_TRUE(kept.ok() && revoked.ok());
  Relist();
  const QString id = QString::fromStdString(revoked->token().token_id());
  window_->select(id);
  window_->revoke(id);
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"Kept"}; }, kWaitMs));
  EXPECT_EQ(window_->selectedId(), "");
  EXPECT_EQ(daemon_.GetToken(id.toStdString()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(daemon_.Accepts(revoked->secret()));
}

TEST_F(AccessTokensTest, WarnsOfListedVmsThatNoLongerExist) {
  ASSERT_TRUE(daemon_.CreateVm("web-1").ok());
  ASSERT_TRUE(daemon_.CreateVm("db-1").ok());
  absl::StatusOr<v1::CreateTokenResponse> created =
      daemon_.CreateToken("CI", false, {"web-1", "db-1"});
  ASSERT_TRUE(created.ok());
  Relist();
  window_->select(QString::fromStdString(created->token().token_id()));
  EXPECT_EQ(window_->selected()["missingCount"], 0);

  ASSERT_TRUE(daemon_.DeleteVm("db-1").ok());
  Relist();
  const QVariantMap selected = window_->selected();
  EXPECT_EQ(selected["missingCount"], 1);
  const QVariantList vms = selected["vms"].toList();
  ASSERT_EQ(vms.size(), 2);
  EXPECT_EQ(vms[0].toMap()["name"], "web-1");
  EXPECT_FALSE(vms[0].toMap()["missing"].toBool());
  EXPECT_EQ(vms[1].toMap()["name"], "db-1");
  EXPECT_TRUE(vms[1].toMap()["missing"].toBool());
  EXPECT_EQ(window_->tokens()->index(0).data(TokenListModel::kMissingCountRole), 1);
}

TEST_F(AccessTokensTest, TheSelectionFollowsTheDaemonWhenFilteredOut) {
  window_->setPollInterval(200);
  absl::StatusOr<v1::CreateTokenResponse> created = daemon_.CreateToken("CI", false);
  ASSERT_TRUE(created.ok());
  const std::string id = created->token().token_id();
  Relist();
  window_->select(QString::fromStdString(id));
  window_->setStatusFilter("disabled");
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels().isEmpty(); }, kWaitMs));
  EXPECT_EQ(window_->selected()["label"], "CI");  // still shown, though not listed

  ASSERT_TRUE(daemon_.SetDisabled(id, true).ok());  // by another client
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"CI"}; }, kWaitMs));
  ASSERT_TRUE(daemon_.SetDisabled(id, false).ok());
  window_->setStatusFilter("expired");
  ASSERT_TRUE(QTest::qWaitFor([&] { return window_->selected()["status"] == "active"; }, kWaitMs));

  ASSERT_TRUE(daemon_.Revoke(id).ok());
  Relist();
  ASSERT_TRUE(QTest::qWaitFor([&] { return window_->selectedId().isEmpty(); }, kWaitMs));
}

TEST_F(AccessTokensTest, PicksUpChangesMadeByAnotherClient) {
  window_->setPollInterval(200);
  ASSERT_TRUE(daemon_.CreateToken("Made elsewhere", false).ok());
  ASSERT_TRUE(QTest::qWaitFor([&] { return Labels() == QStringList{"Made elsewhere"}; }, kWaitMs));
}

TEST_F(AccessTokensTest, SaysWhenTheDaemonCannotBeReached) {
  window_->closeConnection();
  daemon_.Stop();
  Relist();
  EXPECT_FALSE(window_->connected());
  EXPECT_TRUE(window_->errorMessage().contains("is vpvmd running?"))
      << window_->errorMessage().toStdString();
  EXPECT_TRUE(window_->errorMessage().startsWith("Cannot reach the local vpvmd"))
      << window_->errorMessage().toStdString();
}

TEST_F(AccessTokensTest, SaysWhenItsTokenMayNotManageTokens) {
  absl::StatusOr<v1::CreateTokenResponse> admin = daemon_.CreateToken("Admin Tool", true);
  ASSERT_TRUE(admin.ok());
  client::ConnectionSettings settings = daemon_.Settings();
  settings.token = admin->secret();
  AccessTokens scoped(settings);
  ASSERT_TRUE(QTest::qWaitFor([&] { return scoped.listings() > 0; }, kWaitMs));
  EXPECT_FALSE(scoped.connected());
  EXPECT_EQ(scoped.errorMessage(),
            "The token this window uses is not the master token, which alone manages tokens "
            "(vpvmd says: only the master token may do this).");
  scoped.closeConnection();

  settings.token = std::string(admin->secret()).replace(5, 4, "AAAA");  // a mistyped secret
  AccessTokens mistyped(settings);
  ASSERT_TRUE(QTest::qWaitFor([&] { return mistyped.listings() > 0; }, kWaitMs));
  EXPECT_TRUE(
      mistyped.errorMessage().startsWith("vpvmd did not accept the token this window "
                                         "uses: "))
      << mistyped.errorMessage().toStdString();
  mistyped.closeConnection();
}

QString Bare(QString fingerprint) { return fingerprint.remove(':').toUpper(); }

TEST_F(AccessTokensTest, TrustsARemoteServerOnlyOnceTheUserSaysSo) {
  // The pins go to $XDG_CONFIG_HOME/vpvm/known_servers, as the CLI's do.
  QTemporaryDir config;
  const QByteArray old_config = qgetenv("XDG_CONFIG_HOME");
  qputenv("XDG_CONFIG_HOME", config.path().toUtf8());

  AccessTokens remote(daemon_.RemoteSettings());
  ASSERT_TRUE(QTest::qWaitFor([&] { return remote.listings() > 0; }, kWaitMs));
  EXPECT_FALSE(remote.connected());
  EXPECT_EQ(Bare(remote.untrustedFingerprint()),
            Bare(QString::fromStdString(daemon_.Fingerprint())));
  EXPECT_TRUE(remote.errorMessage().contains("is not trusted yet"))
      << remote.errorMessage().toStdString();
  EXPECT_TRUE(remote.errorMessage().contains(remote.untrustedFingerprint()));

  remote.trustServer();
  ASSERT_TRUE(QTest::qWaitFor([&] { return remote.listings() > 1; }, kWaitMs));
  EXPECT_TRUE(remote.connected()) << remote.errorMessage().toStdString();
  EXPECT_EQ(remote.errorMessage(), "");
  EXPECT_EQ(remote.untrustedFingerprint(), "");
  QFile pins(config.path() + "/vpvm/known_servers");
  ASSERT_TRUE(pins.open(QIODevice::ReadOnly));
  const QString pinned = QString::fromUtf8(pins.readAll());
  const QString pin =
      QString::fromStdString(daemon_.RemoteSettings().Target() + " " + daemon_.Fingerprint());
  EXPECT_TRUE(pinned.contains(pin)) << pinned.toStdString();

  remote.closeConnection();
  if (old_config.isNull()) {
    qunsetenv("XDG_CONFIG_HOME");
  } else {
    qputenv("XDG_CONFIG_HOME", old_config);
  }
}

}  // namespace
}  // namespace vpvm::gui
