#include "daemon/qemu/qmp_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/qemu/internal/process.h"
#include "daemon/qemu/internal/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/qemu/test_support.h"

namespace vpvm::qemu {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// A scripted QMP server, for orderings real QEMU does not produce on demand.

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : fd_(fd) {}
  ~FakeConnection() { Close(); }

  // The next line, or "" once the client hung up.
  std::string ReadLine() {
    while (true) {
      if (size_t newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[4096];
      ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, n);
    }
  }
  json ReadCommand() { return json::parse(ReadLine(), nullptr, false); }
  void Send(const json& message) {
    std::string line = message.dump() + "\n";
    ASSERT_EQ(write(fd_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }
  void Greet() {
    Send({{"QMP",
           {{"version", {{"qemu", {{"major", 7}, {"minor", 2}, {"micro", 0}}}}},
            {"capabilities", json::array()}}}});
    json negotiate = ReadCommand();
    ASSERT_EQ(negotiate.value("execute", ""), "qmp_capabilities");
    Send({{"return", json::object()}, {"id", negotiate["id"]}});
  }
  void Echo(const json& command) {
    Send({{"return", {{"echo", command["execute"]}}}, {"id", command["id"]}});
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  std::string buffer_;
};

class FakeQmpServer {
 public:
  FakeQmpServer(const std::string& path, std::function<void(FakeConnection&)> script) {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof(address.sun_path) - 1);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listen_fd_, 1), 0);
    thread_ = std::thread([this, script = std::move(script)] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      FakeConnection connection(fd);
      script(connection);
    });
  }
  ~FakeQmpServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }

 private:
  int listen_fd_;
  std::thread thread_;
};

class QmpClientFakeServerTest : public ::testing::Test {
 protected:
  testing::ScratchFolder folder_;
  std::string socket_ = folder_.Join("qmp.sock");
};

TEST_F(QmpClientFakeServerTest, RepliesReachTheirOwnCallersWhateverTheOrder) {
  std::promise<std::set<std::string>> ids;
  FakeQmpServer server(socket_, [&](FakeConnection& qemu) {
    qemu.Greet();
    json first = qemu.ReadCommand();
    json second = qemu.ReadCommand();
    ids.set_value({first["id"].get<std::string>(), second["id"].get<std::string>()});
    qemu.Send({{"event", "HELLO"}, {"timestamp", {{"seconds", 1}, {"microseconds", 2}}}});
    qemu.Echo(second);  // answers in the opposite order
    qemu.Echo(first);
    qemu.ReadLine();  // until the client hangs up
  });
  std::vector<std::string> events;
  std::mutex events_mu;
  QmpClient::Options options;
  options.on_event = [&](const QmpEvent& event) {
    std::lock_guard lock(events_mu);
    events.push_back(event.name);
  };
  absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->version()["qemu"]["major"], 7);

  auto run = [&](const std::string& command) {
    return std::async(std::launch::async, [&, command] { return (*client)->Execute(command); });
  };
  auto alpha = run("alpha");
  auto beta = run("beta");
  absl::StatusOr<json> alpha_reply = alpha.get();
  absl::StatusOr<json> beta_reply = beta.get();
  ASSERT_TRUE(alpha_reply.ok()) << alpha_reply.status();
  ASSERT_TRUE(beta_reply.ok()) << beta_reply.status();
  EXPECT_EQ((*alpha_reply)["echo"], "alpha");
  EXPECT_EQ((*beta_reply)["echo"], "beta");

  std::set<std::string> sent_ids = ids.get_future().get();
  EXPECT_EQ(sent_ids.size(), 2u) << "both commands carried the same id";
  std::lock_guard lock(events_mu);
  EXPECT_THAT(events, Contains("HELLO"));
}

TEST_F(QmpClientFakeServerTest, TimedOutCallFailsAndItsLateReplyIsDropped) {
  FakeQmpServer server(socket_, [](FakeConnection& qemu) {
    qemu.Greet();
    json slow = qemu.ReadCommand();
    json fast = qemu.ReadCommand();  // sent after the slow one timed out
    qemu.Echo(slow);
    qemu.Echo(fast);
    qemu.ReadLine();
  });
  absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, {});
  ASSERT_TRUE(client.ok()) << client.status();

  absl::StatusOr<json> slow = (*client)->Execute("slow", nullptr, absl::Milliseconds(100));
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(slow.status().message()), HasSubstr("'slow' got no reply"));

  absl::StatusOr<json> fast = (*client)->Execute("fast");
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_EQ((*fast)["echo"], "fast");
}

TEST_F(QmpClientFakeServerTest, QmpErrorBecomesAStatusWithDescAndClass) {
  FakeQmpServer server(socket_, [](FakeConnection& qemu) {
    qemu.Greet();
    json command = qemu.ReadCommand();
    qemu.Send({{"error", {{"class", "DeviceNotFound"}, {"desc", "Device 'disk9' not found"}}},
               {"id", command["id"]}});
    qemu.ReadLine();
  });
  absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, {});
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<json> reply = (*client)->Execute("block_resize", {{"device", "disk9"}});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(reply.status().message()), HasSubstr("Device 'disk9' not found"));
  EXPECT_EQ(QmpErrorClass(reply.status()), "DeviceNotFound");
}

TEST_F(QmpClientFakeServerTest, ConnectionLossFailsPendingCallsAndIsReported) {
  FakeQmpServer server(socket_, [](FakeConnection& qemu) {
    qemu.Greet();
    qemu.ReadCommand();
    qemu.Close();
  });
  std::promise<void> disconnected;
  QmpClient::Options options;
  options.on_disconnect = [&] { disconnected.set_value(); };
  absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, options);
  ASSERT_TRUE(client.ok()) << client.status();

  absl::StatusOr<json> reply = (*client)->Execute("never-answered");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(disconnected.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_FALSE((*client)->connected());
  EXPECT_EQ((*client)->Execute("after").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(QmpClientFakeServerTest, ServerThatNeverGreetsTimesOut) {
  std::promise<void> done;
  std::shared_future<void> finished = done.get_future().share();
  FakeQmpServer server(socket_, [finished](FakeConnection&) { finished.wait(); });
  QmpClient::Options options;
  options.greeting_timeout = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, options);
  done.set_value();
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(client.status().message()), HasSubstr("another client"));
}

TEST_F(QmpClientFakeServerTest, BadSocketPathsAreRefusedClearly) {
  absl::StatusOr<std::unique_ptr<QmpClient>> missing =
      QmpClient::Connect(folder_.Join("absent.sock"), {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("absent.sock"));

  absl::StatusOr<std::unique_ptr<QmpClient>> too_long =
      QmpClient::Connect("/tmp/" + std::string(120, 'x'), {});
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("must be under 108"));
}

// ---------------------------------------------------------------------------------------------
// Against a real QEMU, started here directly (QemuMachine would hold the only QMP connection).

class QmpClientQemuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<internal::CommandResult> launched = internal::RunCommand(
        {"qemu-system-x86_64", "-name", "guest=tagtest", "-accel", "tcg", "-m", "64M",
         "-nodefaults", "-no-user-config", "-display", "none", "-S", "-daemonize", "-pidfile",
         folder_.Join("qemu.pid"), "-qmp", absl::StrCat("unix:", socket_, ",server=on,wait=off")},
        absl::Seconds(30));
    ASSERT_TRUE(launched.ok()) << launched.status();
    ASSERT_TRUE(launched->ok()) << launched->std_err;

    QmpClient::Options options;
    options.on_event = [this](const QmpEvent& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event.name);
    };
    options.on_disconnect = [this] { disconnected_.set_value(); };
    absl::StatusOr<std::unique_ptr<QmpClient>> client = QmpClient::Connect(socket_, options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  void TearDown() override {
    if (client_) client_->Close();
    testing::KillQemusUnder(folder_.path());  // this fixture's QEMU is not a machine's to stop
  }

  std::vector<std::string> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }

  testing::ScratchFolder folder_;  // first member: destroyed last, ending QEMU
  std::string socket_ = folder_.Join("qmp.sock");
  std::mutex mu_;
  std::vector<std::string> events_;
  std::promise<void> disconnected_;
  std::unique_ptr<QmpClient> client_;
};

TEST_F(QmpClientQemuTest, ConcurrentCallsEachGetTheirOwnReply) {
  EXPECT_EQ(client_->version()["qemu"]["major"], 7);
  // Each command has a reply of its own shape, so a mixed-up reply shows.
  const std::vector<std::pair<std::string, std::string>> commands = {{"query-status", "status"},
                                                                     {"query-name", "name"},
                                                                     {"query-kvm", "present"},
                                                                     {"query-version", "qemu"}};
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (const auto& [command, key] : commands) {
    threads.emplace_back([&, command, key] {
      for (int i = 0; i < 25; ++i) {
        absl::StatusOr<json> reply = client_->Execute(command);
        if (!reply.ok() || !reply->contains(key)) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ((*client_->Execute("query-name"))["name"], "tagtest");
}

TEST_F(QmpClientQemuTest, QemuErrorsCarryTheirDescription) {
  absl::StatusOr<json> unknown = client_->Execute("no-such-command");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("The command no-such-command has not been found"));
  EXPECT_EQ(QmpErrorClass(unknown.status()), "CommandNotFound");

  absl::StatusOr<json> missing = client_->Execute("human-monitor-command");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("command-line"));
  EXPECT_EQ(QmpErrorClass(missing.status()), "GenericError");

  EXPECT_EQ(client_->Execute("stop", json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(QmpClientQemuTest, EventsAreHandledBeforeTheReplyThatFollowsThem) {
  ASSERT_TRUE(client_->Execute("cont").ok());
  EXPECT_THAT(Events(), Contains("RESUME"));
  ASSERT_TRUE(client_->Execute("stop").ok());
  EXPECT_THAT(Events(), Contains("STOP"));
  EXPECT_EQ((*client_->Execute("query-status"))["status"], "paused");
}

TEST_F(QmpClientQemuTest, QuitEndsQemuAndTheConnection) {
  absl::StatusOr<pid_t> pid = internal::ReadPidFile(folder_.Join("qemu.pid"));
  ASSERT_TRUE(pid.ok());
  absl::StatusOr<std::unique_ptr<internal::Process>> process = internal::Process::Open(*pid);
  ASSERT_TRUE(process.ok());

  client_->Execute("quit").IgnoreError();  // the reply may or may not beat the hang-up
  EXPECT_EQ(disconnected_.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_FALSE(client_->connected());
  absl::StatusOr<json> after = client_->Execute("query-status");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(after.status().message()), StartsWith("QMP connection is closed"));
  EXPECT_TRUE((*process)->WaitForExit(absl::Seconds(10)));
}

}  // namespace
}  // namespace vpvm::qemu
