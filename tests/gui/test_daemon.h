#pragma once

// A real vpvmd for the GUI tests: started on a fresh state folder in /tmp (short enough for a
// Unix socket path), TLS on 127.0.0.1 port 0, the HTTP gateway off, ready once its address file
// names its pid; stopped with SIGTERM, its folder removed with the TestDaemon. Beside the window
// under test it makes VMs and tokens with the master token through the client library, as
// another client would.

#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client/connection.h"
#include "cli/client/connection_settings.h"
#include "vpvm/v1/token_service.pb.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::gui::testing {

class TestDaemon {
 public:
  TestDaemon() = default;
  ~TestDaemon() { Stop(); }
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  // Starts afresh: a new state folder.
  absl::Status Start();
  // Stops the daemon and leaves its folder (with master.token) until the next Start.
  void Stop();
  bool running() const { return process_.state() == QProcess::Running; }

  // The local socket and the master token in the state folder, as vpvm-gui uses by default.
  client::ConnectionSettings Settings() const;
  // Its TLS listener, with the master token given, as for a remote daemon.
  client::ConnectionSettings RemoteSettings() const;
  // The SHA-256 fingerprint of its certificate, as its address file gives it.
  std::string Fingerprint() const;

  // A VM that is never started: 64 MiB, one 1 MiB disk.
  absl::StatusOr<v1::Vm> CreateVm(const std::string& name);
  absl::Status DeleteVm(const std::string& name);
  // A token on `vms` (names) or, when empty, All VMs; expiring in `expires_in_seconds` unless 0.
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const std::string& label, bool admin,
                                                      const std::vector<std::string>& vms = {},
                                                      int expires_in_seconds = 0);
  absl::StatusOr<v1::Token> GetToken(const std::string& token_id);
  absl::Status Revoke(const std::string& token_id);
  absl::StatusOr<v1::Token> SetDisabled(const std::string& token_id, bool disabled);
  // Enrols the token `secret` in 2FA as its holder would (over the API, with a code computed
  // from the key the daemon hands out).
  absl::Status EnrollTwoFactor(const std::string& secret);
  // Whether the daemon accepts `secret` as a token.
  bool Accepts(const std::string& secret);

 private:
  absl::StatusOr<client::Connection*> Master();
  absl::StatusOr<std::unique_ptr<client::Connection>> ConnectAs(const std::string& secret);

  std::unique_ptr<QTemporaryDir> dir_;
  QProcess process_;
  QJsonObject addresses_;
  std::unique_ptr<client::Connection> master_;
};

}  // namespace vpvm::gui::testing
