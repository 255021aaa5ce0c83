#pragma once

// QmpClient: one connection to a QEMU Machine Protocol (QMP) monitor on a Unix socket.
//
// Connect() reads QEMU's greeting and negotiates capabilities; from then on Execute() may be
// called from any number of threads at once. Each command carries a unique "id" and its caller
// gets exactly the reply bearing that id, whatever order QEMU answers in. Asynchronous events
// go to the event handler instead.
//
// Promises:
//  - Execute returns QEMU's "return" value, or a status: DeadlineExceeded when no reply came
//    in time (a late reply is dropped), Unavailable once the connection is gone, and for a QMP
//    error a status whose message carries QEMU's "desc" and whose payload kQmpErrorClassUrl
//    carries its "class" (see QmpErrorClass);
//  - handlers run on the client's single reader thread, in the order QEMU sent the messages, so
//    an event sent before a reply has been handled by the time Execute returns that reply;
//  - handlers must be quick and must not call Execute, Close or the destructor;
//  - no exception leaves the class. Close() and the destructor end the connection and fail any
//    pending Execute with Unavailable.
//
// QEMU serves one QMP client per monitor socket at a time: while another client is connected,
// Connect waits for a greeting that does not come and fails with DeadlineExceeded.

#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace vpvm::qemu {

// An asynchronous QMP event, e.g. {"event": "STOP", "data": {...}, "timestamp": {...}}.
struct QmpEvent {
  std::string name;
  nlohmann::json data;  // the event's "data", or null when it has none
  absl::Time timestamp;
};

// The payload type URL under which a QMP error's "class" is attached to a status.
inline constexpr absl::string_view kQmpErrorClassUrl = "type.vpvm.dev/qemu.QmpErrorClass";

// The QMP error class ("GenericError", "CommandNotFound", ...) a status carries, if any.
std::optional<std::string> QmpErrorClass(const absl::Status& status);

class QmpClient {
 public:
  using EventHandler = std::function<void(const QmpEvent&)>;
  // Called once when QEMU ends the connection (not after Close()).
  using DisconnectHandler = std::function<void()>;

  struct Options {
    absl::Duration greeting_timeout = absl::Seconds(5);
    // The timeout of Execute calls that do not name one.
    absl::Duration command_timeout = absl::Seconds(30);
    EventHandler on_event;
    DisconnectHandler on_disconnect;
    // Prefixes log lines, e.g. the VM's name.
    std::string log_name;
  };

  // Connects to the monitor at `socket_path`, reads the greeting and runs qmp_capabilities.
  // InvalidArgument for a path too long for a Unix socket, NotFound when no socket exists there,
  // Unavailable when nothing accepts on it, DeadlineExceeded when no greeting came.
  static absl::StatusOr<std::unique_ptr<QmpClient>> Connect(absl::string_view socket_path,
                                                            Options options);

  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;
  ~QmpClient();

  // Runs `command` with `arguments` (a JSON object, or null for none) and returns the reply's
  // "return" value.
  absl::StatusOr<nlohmann::json> Execute(absl::string_view command,
                                         const nlohmann::json& arguments = nullptr);
  absl::StatusOr<nlohmann::json> Execute(absl::string_view command, const nlohmann::json& arguments,
                                         absl::Duration timeout);

  // Ends the connection; idempotent.
  void Close();

  // False once the connection ended, by Close() or by QEMU.
  bool connected() const;

  // The "version" object of QEMU's greeting, e.g. {"qemu": {"major": 7, ...}, "package": ...}.
  const nlohmann::json& version() const { return version_; }

 private:
  struct PendingCall {
    bool done = false;
    absl::StatusOr<nlohmann::json> result;
  };

  QmpClient(int fd, Options options, nlohmann::json version, std::string buffered);

  void ReadLoop();
  void Dispatch(absl::string_view line);
  void DispatchReply(nlohmann::json message);
  void FailPending(const absl::Status& status);
  absl::Status WriteLine(const std::string& line);

  const int fd_;
  const Options options_;
  const nlohmann::json version_;
  std::string read_buffer_;  // only touched by the reader thread after construction

  std::mutex write_mu_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = true;                                        // guarded by mu_
  bool closing_ = false;                                         // guarded by mu_
  uint64_t next_id_ = 0;                                         // guarded by mu_
  std::map<std::string, std::shared_ptr<PendingCall>> pending_;  // guarded by mu_

  std::thread reader_;
};

}  // namespace vpvm::qemu
