#include "tests/gui/test_daemon.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "libauth/base32.h"
#include "libauth/totp.h"
#include "vpvm/v1/session_service.grpc.pb.h"
#include "vpvm/v1/system_service.grpc.pb.h"
#include "vpvm/v1/token_service.grpc.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::gui::testing {
namespace {

constexpr int kStartTimeoutMs = 30000;

QString StateDir(const QTemporaryDir& dir) { return dir.path() + "/state"; }

}  // namespace

absl::Status TestDaemon::Start() {
  Stop();
  dir_.reset();
  dir_ = std::make_unique<QTemporaryDir>("/tmp/vpvm-gui-XXXXXX");
  if (!dir_->isValid()) return absl::InternalError("cannot make a temporary folder in /tmp");
  const QString state = StateDir(*dir_);
  process_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
  process_.start(VPVMD_PATH, {"--state-dir", state, "--socket", dir_->path() + "/s.sock",
                              "--listen", "127.0.0.1:0", "--http-listen", "off", "--log-level",
                              "warn", "--stop-timeout", "5"});
  if (!process_.waitForStarted()) {
    return absl::InternalError(absl::StrCat("cannot start ", VPVMD_PATH));
  }

  // Ready once the address file names this very process (a leftover one does not count).
  const QDeadlineTimer deadline(kStartTimeoutMs);
  QFile addresses(state + "/vpvmd.addresses.json");
  while (!deadline.hasExpired()) {
    if (process_.state() != QProcess::Running) {
      return absl::InternalError(absl::StrCat("vpvmd exited with ", process_.exitCode()));
    }
    if (addresses.open(QIODevice::ReadOnly)) {
      addresses_ = QJsonDocument::fromJson(addresses.readAll()).object();
      addresses.close();
      if (addresses_.value("pid").toInteger() == process_.processId()) return absl::OkStatus();
    }
    QThread::msleep(20);
  }
  return absl::DeadlineExceededError("vpvmd did not write its address file in time");
}

void TestDaemon::Stop() {
  master_.reset();
  if (process_.state() != QProcess::NotRunning) {
    process_.terminate();
    if (!process_.waitForFinished(30000)) process_.kill();
    process_.waitForFinished();
  }
}

client::ConnectionSettings TestDaemon::Settings() const {
  client::ConnectionSettings settings;
  settings.socket = (dir_->path() + "/s.sock").toStdString();
  settings.state_dir = StateDir(*dir_).toStdString();
  return settings;
}

client::ConnectionSettings TestDaemon::RemoteSettings() const {
  client::ConnectionSettings settings;
  settings.remote = true;
  const QString address = addresses_.value("grpc").toString();  // 127.0.0.1:PORT
  settings.host = address.section(':', 0, 0).toStdString();
  settings.port = address.section(':', 1).toInt();
  QFile master(StateDir(*dir_) + "/master.token");
  if (master.open(QIODevice::ReadOnly)) settings.token = master.readAll().trimmed().toStdString();
  return settings;
}

std::string TestDaemon::Fingerprint() const {
  return addresses_.value("fingerprint").toString().toStdString();
}

absl::StatusOr<client::Connection*> TestDaemon::Master() {
  if (!master_) {
    VPVM_ASSIGN_OR_RETURN(master_, client::Connection::Open(Settings(), std::nullopt));
  }
  return master_.get();
}

absl::StatusOr<v1::Vm> TestDaemon::CreateVm(const std::string& name) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::VmService::Stub stub(master->channel());
  v1::CreateVmRequest request;
  request.set_name(name);
  request.set_memory_bytes(64 << 20);
  request.add_disks()->set_size_bytes(1 << 20);
  return master->Call(stub, &v1::VmService::Stub::CreateVm, request);
}

absl::Status TestDaemon::DeleteVm(const std::string& name) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::VmService::Stub stub(master->channel());
  v1::DeleteVmRequest request;
  request.set_vm(name);
  return master->Call(stub, &v1::VmService::Stub::DeleteVm, request).status();
}

absl::StatusOr<v1::CreateTokenResponse> TestDaemon::CreateToken(const std::string& label,
                                                                bool admin,
                                                                const std::vector<std::string>& vms,
                                                                int expires_in_seconds) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::TokenService::Stub stub(master->channel());
  v1::CreateTokenRequest request;
  request.set_label(label);
  request.set_access_level(admin ? v1::ACCESS_LEVEL_ADMIN : v1::ACCESS_LEVEL_OPERATOR);
  request.mutable_vm_scope()->set_all_vms(vms.empty());
  for (const std::string& vm : vms) request.mutable_vm_scope()->add_vms()->set_name(vm);
  if (expires_in_seconds > 0) {
    request.mutable_expire_time()->set_seconds(QDateTime::currentSecsSinceEpoch() +
                                               expires_in_seconds);
  }
  return master->Call(stub, &v1::TokenService::Stub::CreateToken, request);
}

absl::StatusOr<v1::Token> TestDaemon::GetToken(const std::string& token_id) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::TokenService::Stub stub(master->channel());
  v1::GetTokenRequest request;
  request.set_token_id(token_id);
  return master->Call(stub, &v1::TokenService::Stub::GetToken, request);
}

absl::Status TestDaemon::Revoke(const std::string& token_id) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::TokenService::Stub stub(master->channel());
  v1::RevokeTokenRequest request;
  request.set_token_id(token_id);
  return master->Call(stub, &v1::TokenService::Stub::RevokeToken, request).status();
}

absl::StatusOr<v1::Token> TestDaemon::SetDisabled(const std::string& token_id, bool disabled) {
  VPVM_ASSIGN_OR_RETURN(client::Connection * master, Master());
  v1::TokenService::Stub stub(master->channel());
  if (disabled) {
    v1::DisableTokenRequest request;
    request.set_token_id(token_id);
    return master->Call(stub, &v1::TokenService::Stub::DisableToken, request);
  }
  v1::EnableTokenRequest request;
  request.set_token_id(token_id);
  return master->Call(stub, &v1::TokenService::Stub::EnableToken, request);
}

absl::StatusOr<std::unique_ptr<client::Connection>> TestDaemon::ConnectAs(
    const std::string& secret) {
  client::ConnectionSettings settings = Settings();
  settings.token = secret;
  return client::Connection::Open(settings, std::nullopt);
}

absl::Status TestDaemon::EnrollTwoFactor(const std::string& secret) {
  VPVM_ASSIGN_OR_RETURN(std::unique_ptr<client::Connection> holder, ConnectAs(secret));
  v1::SessionService::Stub stub(holder->channel());
  VPVM_ASSIGN_OR_RETURN(v1::BeginTwoFactorEnrollmentResponse begun,
                        holder->Call(stub, &v1::SessionService::Stub::BeginTwoFactorEnrollment,
                                     v1::BeginTwoFactorEnrollmentRequest()));
  VPVM_ASSIGN_OR_RETURN(std::string key, auth::Base32Decode(begun.secret_base32()));
  v1::ConfirmTwoFactorEnrollmentRequest confirm;
  VPVM_ASSIGN_OR_RETURN(*confirm.mutable_code(), auth::TotpCode(key, absl::Now()));
  VPVM_ASSIGN_OR_RETURN(
      v1::TwoFactorStatus status,
      holder->Call(stub, &v1::SessionService::Stub::ConfirmTwoFactorEnrollment, confirm));
  if (!status.enabled()) return absl::InternalError("2FA not enabled after a valid code");
  return absl::OkStatus();
}

bool TestDaemon::Accepts(const std::string& secret) {
  absl::StatusOr<std::unique_ptr<client::Connection>> connection = ConnectAs(secret);
  if (!connection.ok()) return false;
  v1::SystemService::Stub stub((*connection)->channel());
  return (*connection)
      ->Call(stub, &v1::SystemService::Stub::InspectSelf, v1::InspectSelfRequest())
      .ok();
}

}  // namespace vpvm::gui::testing
