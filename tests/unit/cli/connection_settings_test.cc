#include "cli/client/connection_settings.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace vpvm::client {
namespace {

SettingsLayer Layer() { return SettingsLayer(); }

TEST(ConnectionSettingsTest, WithoutAnyLayerTheLocalDaemonIsUsed) {
  absl::StatusOr<ConnectionSettings> settings = ResolveSettings({Layer(), Layer(), Layer()});
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_FALSE(settings->remote);
  EXPECT_FALSE(settings->socket.empty());
  EXPECT_FALSE(settings->token.has_value());
}

TEST(ConnectionSettingsTest, AFlagBeatsTheEnvironmentWhichBeatsTheFile) {
  SettingsLayer flags, env, file;
  env.token = "from-env";
  file.token = "from-file";
  file.port = 1111;
  env.port = 2222;
  file.server = "file-host";

  ConnectionSettings resolved = *ResolveSettings({flags, env, file});
  EXPECT_EQ(resolved.token, "from-env");
  EXPECT_EQ(resolved.port, 2222);
  EXPECT_EQ(resolved.host, "file-host");

  flags.token = "from-flag";
  flags.port = 3333;
  resolved = *ResolveSettings({flags, env, file});
  EXPECT_EQ(resolved.token, "from-flag");
  EXPECT_EQ(resolved.port, 3333);
}

TEST(ConnectionSettingsTest, ASocketFlagIsNotOverriddenByAServerInTheEnvironment) {
  SettingsLayer flags, env;
  flags.socket = "/tmp/local.sock";
  env.server = "10.0.0.5";
  ConnectionSettings resolved = *ResolveSettings({flags, env, Layer()});
  EXPECT_FALSE(resolved.remote);
  EXPECT_EQ(resolved.socket, "/tmp/local.sock");

  SettingsLayer server_flag, socket_env;
  server_flag.server = "10.0.0.5";
  socket_env.socket = "/tmp/local.sock";
  resolved = *ResolveSettings({server_flag, socket_env, Layer()});
  EXPECT_TRUE(resolved.remote);
  EXPECT_EQ(resolved.Target(), "10.0.0.5:49152");
}

TEST(ConnectionSettingsTest, ATokenFileInAHigherLayerBeatsATokenInALowerOne) {
  SettingsLayer flags, env;
  flags.token_file = "/run/secrets/vpvm";
  env.token = "from-env";
  ConnectionSettings resolved = *ResolveSettings({flags, env, Layer()});
  EXPECT_FALSE(resolved.token.has_value());
  EXPECT_EQ(resolved.token_file, "/run/secrets/vpvm");
}

TEST(ConnectionSettingsTest, APortInTheServerCountsAtTheServersLayer) {
  SettingsLayer flags, file;
  flags.server = "host:5000";
  file.port = 6000;
  EXPECT_EQ(ResolveSettings({flags, Layer(), file})->port, 5000);

  flags.port = 7000;  // an explicit --port beside it wins
  EXPECT_EQ(ResolveSettings({flags, Layer(), file})->port, 7000);
}

TEST(ConnectionSettingsTest, IPv6ServersAreBracketedInTheTarget) {
  SettingsLayer flags;
  flags.server = "[::1]:4000";
  EXPECT_EQ(ResolveSettings({flags})->Target(), "[::1]:4000");
  flags.server = "fe80::1";
  EXPECT_EQ(ResolveSettings({flags})->Target(), "[fe80::1]:49152");
}

TEST(ConnectionSettingsTest, MalformedServersAreRefusedByName) {
  SettingsLayer flags;
  flags.server = "host:notaport";
  absl::StatusOr<ConnectionSettings> resolved = ResolveSettings({flags});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(resolved.status().message().find("notaport"), std::string::npos);
}

TEST(ConnectionSettingsFileTest, ReadsTheLongOptionNames) {
  vpvm::testing::TempDir dir;
  std::ofstream(dir.File("vpvm.conf")) << "server = \"10.1.2.3\"\nport = 4444\ninsecure = true\n"
                                          "token-file = \"/tmp/t\"\n";
  absl::StatusOr<SettingsLayer> layer = SettingsFromFile(dir.File("vpvm.conf"), true);
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_EQ(layer->server, "10.1.2.3");
  EXPECT_EQ(layer->port, 4444);
  EXPECT_EQ(layer->insecure, true);
  EXPECT_EQ(layer->token_file, "/tmp/t");
}

TEST(ConnectionSettingsFileTest, UnknownKeysAndBadValuesAreNamed) {
  vpvm::testing::TempDir dir;
  std::ofstream(dir.File("a.conf")) << "sever = \"typo\"\n";
  absl::StatusOr<SettingsLayer> layer = SettingsFromFile(dir.File("a.conf"), true);
  ASSERT_FALSE(layer.ok());
  EXPECT_NE(layer.status().message().find("sever"), std::string::npos);

  std::ofstream(dir.File("b.conf")) << "port = 99999\n";
  layer = SettingsFromFile(dir.File("b.conf"), true);
  ASSERT_FALSE(layer.ok());
  EXPECT_NE(layer.status().message().find("99999"), std::string::npos);
}

TEST(ConnectionSettingsFileTest, AMissingFileIsEmptyUnlessItWasAskedFor) {
  vpvm::testing::TempDir dir;
  EXPECT_TRUE(SettingsFromFile(dir.File("none.conf"), false).ok());
  EXPECT_FALSE(SettingsFromFile(dir.File("none.conf"), true).ok());
}

}  // namespace
}  // namespace vpvm::client
