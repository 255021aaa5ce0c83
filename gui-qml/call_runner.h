#pragma once

// Runs calls to vpvmd off the GUI thread. A CallRunner owns one worker thread and the client
// library's Connection, opened there on first use (opening can wait for a slow or unreachable
// daemon) and opened again after the daemon was lost. Each call's result is handed back on the
// thread that owns the CallRunner, so a window never freezes on the network.

#include <QObject>
#include <QPointer>
#include <QThread>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/client/connection.h"
#include "cli/client/connection_settings.h"

namespace vpvm::gui {

class CallRunner : public QObject {
  Q_OBJECT

 public:
  explicit CallRunner(client::ConnectionSettings settings, QObject* parent = nullptr);
  ~CallRunner() override;

  // Runs `call` on the worker thread with an open connection, then `done` here with its result
  // (or with the error that kept the connection from opening). `done` is dropped if this
  // runner is destroyed first.
  template <typename Result>
  void Run(std::function<absl::StatusOr<Result>(client::Connection&)> call,
           std::function<void(absl::StatusOr<Result>)> done) {
    QPointer<CallRunner> self(this);
    QMetaObject::invokeMethod(
        worker_, [this, self, call = std::move(call), done = std::move(done)] {
          auto result = std::make_shared<absl::StatusOr<Result>>(WithConnection<Result>(call));
          QMetaObject::invokeMethod(
              self.data(), [result, done] { done(std::move(*result)); }, Qt::QueuedConnection);
        });
  }

  // Closes the connection once the call in flight, if any, is done; the next call opens a new one.
  void Close();

  // Pins `fingerprint` for the remote server and uses it from the next call on: what the user
  // chose after being shown an unknown certificate.
  void TrustFingerprint(const std::string& fingerprint);

  // "the local vpvmd (/run/vpvm/vpvmd.sock)" or "vpvmd at HOST:PORT".
  const QString& description() const { return description_; }

  static constexpr absl::Duration kCallTimeout = absl::Seconds(30);

 private:
  template <typename Result>
  absl::StatusOr<Result> WithConnection(
      const std::function<absl::StatusOr<Result>(client::Connection&)>& call) {
    absl::Status opened = EnsureOpen();
    if (!opened.ok()) return opened;
    absl::StatusOr<Result> result = call(*connection_);
    if (!result.ok() && result.status().code() == absl::StatusCode::kUnavailable) {
      // The library says best why a daemon cannot be reached when it connects afresh; the call
      // itself is not sent again, since it may have been carried out.
      connection_.reset();
      absl::Status reopened = EnsureOpen();
      if (!reopened.ok()) return reopened;
    }
    return result;
  }

  // Worker thread only.
  absl::Status EnsureOpen();

  QThread thread_;
  QObject* worker_;  // lives on thread_
  const QString description_;
  client::ConnectionSettings settings_;  // worker thread only, after construction
  std::unique_ptr<client::Connection> connection_;
};

// The fingerprint of the last unknown certificate a connection refused, from the status that
// said so; empty for any other status.
std::string UnknownCertificateFingerprint(const absl::Status& status);

}  // namespace vpvm::gui
