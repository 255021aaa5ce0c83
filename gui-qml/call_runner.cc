#include "gui-qml/call_runner.h"

#include "absl/strings/str_cat.h"

namespace vpvm::gui {
namespace {

constexpr char kSeenFingerprint[] = "vpvm.gui/seen-fingerprint";

QString DescribeSettings(const client::ConnectionSettings& settings) {
  if (settings.remote) return QString::fromStdString("vpvmd at " + settings.Target());
  return QString::fromStdString(absl::StrCat("the local vpvmd (", settings.socket, ")"));
}

}  // namespace

CallRunner::CallRunner(client::ConnectionSettings settings, QObject* parent)
    : QObject(parent),
      worker_(new QObject),
      description_(DescribeSettings(settings)),
      settings_(std::move(settings)) {
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.setObjectName("vpvm-calls");
  thread_.start();
}

CallRunner::~CallRunner() {
  // Calls still queued are dropped; one in flight ends by its deadline at the latest.
  thread_.quit();
  thread_.wait();
  // The worker thread is gone: the connection is no longer in use.
  connection_.reset();
}

void CallRunner::Close() {
  QMetaObject::invokeMethod(
      worker_, [this] { connection_.reset(); }, Qt::BlockingQueuedConnection);
}

void CallRunner::TrustFingerprint(const std::string& fingerprint) {
  QMetaObject::invokeMethod(worker_, [this, fingerprint] {
    settings_.fingerprint = fingerprint;
    connection_.reset();
  });
}

absl::Status CallRunner::EnsureOpen() {
  if (connection_) return absl::OkStatus();
  // A window cannot answer synchronously: remember what was seen and let the user decide.
  auto seen = std::make_shared<std::string>();
  client::TrustPrompt ask = [seen](const std::string&, const std::string& fingerprint) {
    *seen = fingerprint;
    return false;
  };
  absl::StatusOr<std::unique_ptr<client::Connection>> opened =
      client::Connection::Open(settings_, ask);
  if (!opened.ok()) {
    absl::Status status = opened.status();
    if (!seen->empty()) status.SetPayload(kSeenFingerprint, absl::Cord(*seen));
    return status;
  }
  connection_ = *std::move(opened);
  return absl::OkStatus();
}

std::string UnknownCertificateFingerprint(const absl::Status& status) {
  auto problem = status.GetPayload(client::kCertificateProblem);
  if (!problem || *problem != "unknown") return "";
  auto seen = status.GetPayload(kSeenFingerprint);
  return seen ? std::string(*seen) : "";
}

}  // namespace vpvm::gui
