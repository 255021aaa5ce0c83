// vpvm-gui: the desktop GUI. It finds its daemon as the `vpvm` CLI does (the same options, the
// same VPVM_* variables and config file, through the same client library), then shows the main
// window, whose Tools menu opens the Access Tokens window.

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QUrl>
#include <cstdio>
#include <cstdlib>

#include "cli/client/connection_settings.h"
#include "common/status_macros.h"
#include "gui-qml/access_tokens.h"
#include "gui-qml/gui_setup.h"

namespace {

using vpvm::client::SettingsLayer;

void AddOptions(QCommandLineParser& parser) {
  parser.setApplicationDescription("The vpvm desktop GUI: Tools → Access Tokens manages tokens.");
  parser.addHelpOption();
  parser.addOptions({
      {"socket", "The local daemon's socket.", "PATH"},
      {"state-dir", "The local daemon's state folder (for its master.token).", "DIR"},
      {"server", "A remote daemon: HOST or HOST:PORT.", "HOST"},
      {"port", "The remote daemon's port (default 49152).", "N"},
      {"token", "The token to present (default: the local master token).", "SECRET"},
      {"token-file", "Read the token from this file.", "FILE"},
      {"fingerprint", "Pin the remote daemon's certificate to this SHA-256 fingerprint.", "SHA256"},
      {"insecure", "Plain TCP, for a daemon run with --tls off."},
      {"config", "The config file (default: $XDG_CONFIG_HOME/vpvm/vpvm.conf).", "FILE"},
      {"tokens", "Open the Access Tokens window at start."},
  });
}

absl::StatusOr<SettingsLayer> FlagsLayer(const QCommandLineParser& parser) {
  SettingsLayer flags;
  auto text = [&](const char* name, std::optional<std::string>& field) {
    if (parser.isSet(name)) field = parser.value(name).toStdString();
  };
  text("socket", flags.socket);
  text("state-dir", flags.state_dir);
  text("server", flags.server);
  text("token", flags.token);
  text("token-file", flags.token_file);
  text("fingerprint", flags.fingerprint);
  if (parser.isSet("port")) {
    bool ok = false;
    const int port = parser.value("port").toInt(&ok);
    if (!ok || port < 1 || port > 65535) {
      return absl::InvalidArgumentError("--port takes a number from 1 to 65535");
    }
    flags.port = port;
  }
  if (parser.isSet("insecure")) flags.insecure = true;
  return flags;
}

absl::StatusOr<vpvm::client::ConnectionSettings> ResolveFromCommandLine(
    const QCommandLineParser& parser) {
  VPVM_ASSIGN_OR_RETURN(SettingsLayer flags, FlagsLayer(parser));
  VPVM_ASSIGN_OR_RETURN(SettingsLayer environment, vpvm::client::SettingsFromEnvironment());
  std::string config = parser.value("config").toStdString();
  bool required = !config.empty();
  if (config.empty()) {
    const char* from_env = std::getenv("VPVM_CONFIG");
    required = from_env != nullptr && *from_env != '\0';
    config = required ? from_env : vpvm::client::DefaultConfigFile();
  }
  VPVM_ASSIGN_OR_RETURN(SettingsLayer file, vpvm::client::SettingsFromFile(config, required));
  return vpvm::client::ResolveSettings({flags, environment, file});
}

}  // namespace

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  QGuiApplication::setApplicationName("vpvm-gui");
  QGuiApplication::setApplicationDisplayName("vpvm");
  QCommandLineParser parser;
  AddOptions(parser);
  parser.process(app);

  absl::StatusOr<vpvm::client::ConnectionSettings> settings = ResolveFromCommandLine(parser);
  if (!settings.ok()) {
    std::fprintf(stderr, "vpvm-gui: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }

  vpvm::gui::RegisterQmlTypes();
  vpvm::gui::UseStyle();
  vpvm::gui::AccessTokens backend(*std::move(settings));
  QQmlApplicationEngine engine;
  engine.setInitialProperties(
      {{"backend", QVariant::fromValue(&backend)}, {"openTokens", parser.isSet("tokens")}});
  QObject::connect(
      &engine, &QQmlApplicationEngine::objectCreationFailed, &app, [] { std::exit(1); },
      Qt::QueuedConnection);
  engine.load(QUrl(vpvm::gui::kQmlRoot + "/Main.qml"));
  return app.exec();
}
