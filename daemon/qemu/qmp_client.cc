#include "daemon/qemu/qmp_client.h"

#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daemon/qemu/internal/chrono.h"
#include "daemon/qemu/internal/json_util.h"
#include "daemon/qemu/internal/logging.h"

namespace vpvm::qemu {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Prefix(const std::string& log_name) {
  return log_name.empty() ? "qmp" : absl::StrCat(log_name, ": qmp");
}

absl::Status QmpErrorToStatus(absl::string_view command, const json& error) {
  std::string error_class = internal::StringField(error, "class", "GenericError");
  std::string desc = internal::StringField(error, "desc", "no description");
  std::string message = absl::StrCat("QEMU refused '", command, "': ", desc);
  absl::Status status;
  if (error_class == "CommandNotFound") {
    status = absl::UnimplementedError(message);
  } else if (error_class == "DeviceNotFound") {
    status = absl::NotFoundError(message);
  } else {
    status = absl::FailedPreconditionError(message);
  }
  status.SetPayload(kQmpErrorClassUrl, absl::Cord(error_class));
  return status;
}

absl::Time EventTime(const json& message) {
  const json* timestamp = internal::Field(message, "timestamp");
  if (timestamp == nullptr || !timestamp->is_object()) return absl::Now();
  return absl::FromUnixSeconds(internal::IntField(*timestamp, "seconds")) +
         absl::Microseconds(internal::IntField(*timestamp, "microseconds"));
}

absl::StatusOr<int> ConnectSocket(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("QMP socket path is ", path.size(),
                                                   " bytes; a Unix socket path must be under ",
                                                   sizeof(address.sun_path), ": ", path));
  }
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.data(), path.size());

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int result;
  do {
    result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } while (result != 0 && errno == EINTR);
  if (result == 0) return fd;

  int error = errno;
  close(fd);
  std::string message = absl::StrCat("cannot connect to QMP socket ", path, ": ", strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == ECONNREFUSED) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// Reads until a full line is in `buffer`; returns the line and leaves what follows in `buffer`.
absl::StatusOr<std::string> ReadLine(int fd, absl::Time deadline, const std::string& path,
                                     std::string& buffer) {
  while (true) {
    if (size_t newline = buffer.find('\n'); newline != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      return line;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no QMP greeting on ", path, " (is another client connected?)"));
    }
    pollfd ready{fd, POLLIN, 0};
    int polled = poll(&ready, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (polled < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll on ", path, ": ", strerror(errno)));
    }
    if (polled <= 0) continue;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat("QMP socket ", path, " closed before greeting"));
    }
    buffer.append(chunk, n);
  }
}

}  // namespace

std::optional<std::string> QmpErrorClass(const absl::Status& status) {
  auto payload = status.GetPayload(kQmpErrorClassUrl);  // absl::optional in Debian's Abseil
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

absl::StatusOr<std::unique_ptr<QmpClient>> QmpClient::Connect(absl::string_view socket_path,
                                                              Options options) {
  std::string path(socket_path);
  absl::StatusOr<int> fd = ConnectSocket(path);
  if (!fd.ok()) return fd.status();

  std::string buffer;
  absl::StatusOr<std::string> greeting_line =
      ReadLine(*fd, absl::Now() + options.greeting_timeout, path, buffer);
  if (!greeting_line.ok()) {
    close(*fd);
    return greeting_line.status();
  }
  json greeting = json::parse(*greeting_line, nullptr, /*allow_exceptions=*/false);
  if (!greeting.is_object() || !greeting.contains("QMP")) {
    close(*fd);
    return absl::DataLossError(
        absl::StrCat("not a QMP greeting on ", path, ": ", greeting_line->substr(0, 200)));
  }
  internal::Logger()->debug("{} <- {}", Prefix(options.log_name), *greeting_line);

  const json* version = internal::Field(greeting["QMP"], "version");
  std::unique_ptr<QmpClient> client;
  try {
    client.reset(new QmpClient(*fd, std::move(options), version ? *version : json::object(),
                               std::move(buffer)));
  } catch (const std::system_error& e) {
    close(*fd);
    return absl::ResourceExhaustedError(absl::StrCat("cannot start QMP reader: ", e.what()));
  }
  absl::StatusOr<json> negotiated = client->Execute("qmp_capabilities");
  if (!negotiated.ok()) return negotiated.status();
  return client;
}

QmpClient::QmpClient(int fd, Options options, json version, std::string buffered)
    : fd_(fd),
      options_(std::move(options)),
      version_(std::move(version)),
      read_buffer_(std::move(buffered)) {
  reader_ = std::thread([this] { ReadLoop(); });
}

QmpClient::~QmpClient() {
  Close();
  close(fd_);
}

void QmpClient::Close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) {
    if (reader_.get_id() == std::this_thread::get_id()) {
      internal::Logger()->error("{}: Close() called from a handler", Prefix(options_.log_name));
      reader_.detach();
    } else {
      reader_.join();
    }
  }
}

bool QmpClient::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

absl::StatusOr<json> QmpClient::Execute(absl::string_view command, const json& arguments) {
  return Execute(command, arguments, options_.command_timeout);
}

absl::StatusOr<json> QmpClient::Execute(absl::string_view command, const json& arguments,
                                        absl::Duration timeout) {
  if (!arguments.is_null() && !arguments.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("arguments of QMP command '", command, "' must be a JSON object"));
  }
  auto call = std::make_shared<PendingCall>();
  std::string id;
  {
    std::lock_guard lock(mu_);
    if (!connected_ || closing_) {
      return absl::UnavailableError(
          absl::StrCat("QMP connection is closed; cannot run '", command, "'"));
    }
    id = absl::StrCat("vpvm-", ++next_id_);
    pending_[id] = call;
  }

  json message = {{"execute", std::string(command)}, {"id", id}};
  if (arguments.is_object() && !arguments.empty()) message["arguments"] = arguments;
  std::string line = Dump(message);
  internal::Logger()->debug("{} -> {}", Prefix(options_.log_name), line);
  if (absl::Status written = WriteLine(line + "\n"); !written.ok()) {
    std::lock_guard lock(mu_);
    pending_.erase(id);
    return written;
  }

  std::unique_lock lock(mu_);
  bool answered = cv_.wait_for(lock, internal::ToChrono(timeout), [&] { return call->done; });
  if (!answered) {
    pending_.erase(id);
    return absl::DeadlineExceededError(absl::StrCat(
        "QMP command '", command, "' got no reply within ", absl::FormatDuration(timeout)));
  }
  if (!call->result.ok()) return call->result.status();
  const json& reply = *call->result;
  if (auto error = reply.find("error"); error != reply.end()) {
    return QmpErrorToStatus(command, *error);
  }
  return reply.value("return", json::object());
}

absl::Status QmpClient::WriteLine(const std::string& line) {
  std::lock_guard lock(write_mu_);
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = send(fd_, line.data() + written, line.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::UnavailableError(absl::StrCat("QMP write failed: ", strerror(errno)));
    }
    written += n;
  }
  return absl::OkStatus();
}

void QmpClient::ReadLoop() {
  char chunk[16384];
  while (true) {
    size_t newline;
    while ((newline = read_buffer_.find('\n')) != std::string::npos) {
      std::string line = read_buffer_.substr(0, newline);
      read_buffer_.erase(0, newline + 1);
      Dispatch(line);
    }
    ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    read_buffer_.append(chunk, n);
  }

  bool closing;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
    closing = closing_;
  }
  FailPending(absl::UnavailableError("QMP connection closed"));
  if (!closing) {
    internal::Logger()->debug("{}: connection closed by QEMU", Prefix(options_.log_name));
    if (options_.on_disconnect) options_.on_disconnect();
  }
}

void QmpClient::Dispatch(absl::string_view line) {
  if (line.empty() || line == "\r") return;
  internal::Logger()->debug("{} <- {}", Prefix(options_.log_name), internal::Sv(line));
  json message = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!message.is_object()) {
    internal::Logger()->warn("{}: unparsable message: {}", Prefix(options_.log_name),
                             internal::Sv(line.substr(0, 200)));
    return;
  }
  if (auto event = message.find("event"); event != message.end() && event->is_string()) {
    if (!options_.on_event) return;
    QmpEvent parsed{*event, message.value("data", json()), EventTime(message)};
    options_.on_event(parsed);
    return;
  }
  DispatchReply(std::move(message));
}

void QmpClient::DispatchReply(json message) {
  auto id = message.find("id");
  if (id == message.end() || !id->is_string()) {
    internal::Logger()->warn("{}: reply without an id: {}", Prefix(options_.log_name),
                             Dump(message).substr(0, 200));
    return;
  }
  std::lock_guard lock(mu_);
  auto call = pending_.find(id->get<std::string>());
  if (call == pending_.end()) {
    internal::Logger()->debug("{}: late or unknown reply {}", Prefix(options_.log_name),
                              id->get<std::string>());
    return;
  }
  call->second->result = std::move(message);
  call->second->done = true;
  pending_.erase(call);
  cv_.notify_all();
}

void QmpClient::FailPending(const absl::Status& status) {
  std::lock_guard lock(mu_);
  for (auto& [id, call] : pending_) {
    call->result = status;
    call->done = true;
  }
  pending_.clear();
  cv_.notify_all();
}

}  // namespace vpvm::qemu
