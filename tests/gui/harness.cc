#include "tests/gui/harness.h"

#include <QtQuickTest/quicktest.h>

#include <QClipboard>
#include <QDebug>
#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QQuickWindow>
#include <QSet>

namespace vpvm::gui::testing {
namespace {

std::vector<std::string> ToStd(const QStringList& list) {
  std::vector<std::string> result;
  for (const QString& text : list) result.push_back(text.toStdString());
  return result;
}

}  // namespace

QObject* Harness::startDaemon() {
  if (backend_) backend_->deleteLater();
  backend_ = nullptr;
  daemon_ = std::make_unique<TestDaemon>();
  if (absl::Status started = daemon_->Start(); !started.ok()) {
    qWarning() << "vpvmd did not start:" << started.ToString().c_str();
    return nullptr;
  }
  backend_ = new AccessTokens(daemon_->Settings(), this);
  return backend_;
}

void Harness::stopDaemon() {
  if (backend_) backend_->closeConnection();
  if (daemon_) daemon_->Stop();
}

QString Harness::createVm(const QString& name) {
  absl::StatusOr<v1::Vm> vm = daemon_->CreateVm(name.toStdString());
  if (!vm.ok()) {
    qWarning() << "CreateVm:" << vm.status().ToString().c_str();
    return {};
  }
  return QString::fromStdString(vm->id());
}

bool Harness::deleteVm(const QString& name) {
  absl::Status deleted = daemon_->DeleteVm(name.toStdString());
  if (!deleted.ok()) qWarning() << "DeleteVm:" << deleted.ToString().c_str();
  return deleted.ok();
}

QVariantMap Harness::createToken(const QString& label, bool admin, const QStringList& vms,
                                 int expiresInSeconds) {
  absl::StatusOr<v1::CreateTokenResponse> created =
      daemon_->CreateToken(label.toStdString(), admin, ToStd(vms), expiresInSeconds);
  if (!created.ok()) {
    qWarning() << "CreateToken:" << created.status().ToString().c_str();
    return {};
  }
  return {{"tokenId", QString::fromStdString(created->token().token_id())},
          {"secret", QString::fromStdString(created->secret())}};
}

bool Harness::disableToken(const QString& tokenId) {
  return daemon_->SetDisabled(tokenId.toStdString(), true).ok();
}

bool Harness::enrollTwoFactor(const QString& secret) {
  absl::Status enrolled = daemon_->EnrollTwoFactor(secret.toStdString());
  if (!enrolled.ok()) qWarning() << "EnrollTwoFactor:" << enrolled.ToString().c_str();
  return enrolled.ok();
}

QVariantMap Harness::storedToken(const QString& tokenId) {
  absl::StatusOr<v1::Token> token = daemon_->GetToken(tokenId.toStdString());
  if (!token.ok()) return {};
  QStringList names;
  for (const v1::VmRef& vm : token->vm_scope().vms()) names << QString::fromStdString(vm.name());
  return {{"label", QString::fromStdString(token->label())},
          {"level", token->access_level() == v1::ACCESS_LEVEL_ADMIN ? "admin" : "operator"},
          {"allVms", token->vm_scope().all_vms()},
          {"vmNames", names},
          {"extended", token->extended_permissions_size()},
          {"disabled", token->disabled()},
          {"twoFactor", token->two_factor_enabled()}};
}

bool Harness::accepts(const QString& secret) { return daemon_->Accepts(secret.toStdString()); }

QString Harness::clipboardText() const { return QGuiApplication::clipboard()->text(); }

bool Harness::settle(QQuickItem* item) {
  return item && item->window() && QQuickTest::qWaitForPolish(item->window());
}

int Harness::saveScreenshot(QQuickItem* item, const QString& name) {
  if (!item || !item->window()) return 0;
  const QImage image = item->window()->grabWindow();
  const QString dir = QString::fromUtf8(qgetenv("VPVM_GUI_SCREENSHOTS"));
  if (!dir.isEmpty()) {
    QDir().mkpath(dir);
    if (!image.save(dir + "/gui-" + name + ".png")) qWarning() << "cannot save" << name;
  }
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

}  // namespace vpvm::gui::testing
