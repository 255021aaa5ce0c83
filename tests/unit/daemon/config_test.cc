#include "daemon/config.h"

#include <fstream>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::daemon {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<DaemonOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "vpvmd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(ConfigTest, FlagsSetEveryOption) {
  auto options = Parse({"--state-dir", "/tmp/s", "--socket", "/tmp/s/x.sock", "--listen", "[::1]:0",
                        "--tls", "off", "--log-level", "debug", "--stop-timeout", "2",
                        "--auth-burst", "50", "--auth-refill", "0.5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->state_dir, "/tmp/s");
  EXPECT_EQ(options->socket_path, "/tmp/s/x.sock");
  EXPECT_EQ(options->listen, "[::1]:0");
  EXPECT_FALSE(options->tls);
  EXPECT_EQ(options->log_level, "debug");
  EXPECT_EQ(options->stop_timeout, absl::Seconds(2));
  EXPECT_EQ(options->throttle.burst, 50);
  EXPECT_EQ(options->throttle.refill, absl::Milliseconds(500));
}

TEST(ConfigTest, DefaultsListenOnLoopbackWithTls) {
  auto options = Parse({"--state-dir", "/tmp/s"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:49152");
  EXPECT_EQ(options->http_listen, "127.0.0.1:49153");
  EXPECT_TRUE(options->tls);
}

TEST(ConfigTest, ConfigFileIsReadAndFlagsWin) {
  testing::TempDir dir;
  std::ofstream(dir.File("vpvmd.conf")) << "listen = \"127.0.0.1:4000\"\nlog-level = \"warn\"\n";
  auto options = Parse({"--config", dir.File("vpvmd.conf"), "--log-level", "error"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:4000");
  EXPECT_EQ(options->log_level, "error");
}

TEST(ConfigTest, AnUnknownKeyInTheConfigFileIsRefusedByName) {
  testing::TempDir dir;
  std::ofstream(dir.File("vpvmd.conf")) << "listen = \"127.0.0.1:4000\"\nhttp_listen = \"x\"\n";
  auto options = Parse({"--config", dir.File("vpvmd.conf")});
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("unknown key \"http_listen\""));
}

TEST(ConfigTest, BadValuesAreRefusedNamingTheProblem) {
  EXPECT_THAT(Parse({"--listen", "localhost"}).status().message(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(Parse({"--listen", "127.0.0.1:70000"}).status().message(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(Parse({"--listen", "::1:5"}).status().message(), HasSubstr("brackets"));
  EXPECT_FALSE(Parse({"--tls", "maybe"}).ok());
  EXPECT_FALSE(Parse({"--bogus"}).ok());
  EXPECT_THAT(Parse({"--tls-cert", "/x.pem"}).status().message(), HasSubstr("go together"));
  EXPECT_THAT(Parse({"--socket", std::string(120, 'x')}).status().message(),
              HasSubstr("longer than"));
}

TEST(ConfigTest, SubcommandsTakeTheStateDir) {
  auto options = Parse({"fingerprint", "--state-dir", "/tmp/s"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->command, DaemonOptions::Command::kFingerprint);
  EXPECT_EQ(options->state_dir, "/tmp/s");
}

}  // namespace
}  // namespace vpvm::daemon
