#include "daemon/config.h"

#include <cstdlib>
#include <filesystem>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/default_paths.h"

namespace vpvm::daemon {
namespace {

std::string DefaultConfigFile() { return DefaultDaemonConfigDir() + "/vpvmd.conf"; }

}  // namespace

absl::Status CheckListenAddress(const std::string& address, const std::string& flag) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " \"", address, "\" is not HOST:PORT (for example 127.0.0.1:49152 or [::1]:0)"));
  }
  const std::string host = address.substr(0, colon);
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", address, "\": write an IPv6 host in brackets, as [::1]:49152"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonOptions> ParseOptions(int argc, char** argv) {
  DaemonOptions options;
  std::string tls = "on";
  double stop_timeout_seconds = 30;
  double http_read_timeout_seconds = 15;
  double session_idle_seconds = 1800;
  double refill_seconds = absl::ToDoubleSeconds(options.throttle.refill);

  CLI::App app{"vpvmd: the vpvm daemon; owns the VMs of this host and its API tokens", "vpvmd"};
  app.set_version_flag("--version", VPVM_VERSION);
  app.fallthrough();
  app.set_config("--config", DefaultConfigFile(),
                 "config file (TOML, the long option names as keys)");
  // A mistyped key (http_listen for http-listen) must not be dropped without a word.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--state-dir", options.state_dir,
                 "state folder (default /var/lib/vpvm as root, else $XDG_STATE_HOME/vpvm)");
  app.add_option("--socket", options.socket_path,
                 "local gRPC socket (default /run/vpvm/vpvmd.sock as root, else under "
                 "$XDG_RUNTIME_DIR)");
  app.add_option("--listen", options.listen, "remote gRPC address, HOST:PORT, or \"off\"")
      ->default_str("127.0.0.1:49152");
  app.add_option("--http-listen", options.http_listen,
                 "HTTP/JSON gateway address, HOST:PORT, or \"off\"")
      ->default_str("127.0.0.1:49153");
  app.add_option("--trusted-proxy", options.trusted_proxies,
                 "a proxy address whose X-Forwarded-For the HTTP gateway believes (repeatable)");
  app.add_option("--http-read-timeout", http_read_timeout_seconds,
                 "seconds an HTTP client gets to send a request; idle connections close after it")
      ->check(CLI::PositiveNumber);
  app.add_option("--session-idle-timeout", session_idle_seconds,
                 "seconds after which an unused dashboard session ends (default 1800)")
      ->check(CLI::PositiveNumber);
  app.add_option("--tls", tls, "TLS on the TCP listeners; \"off\" only if you mean it")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str("on");
  app.add_option("--tls-cert", options.tls_certificate, "your own certificate (PEM)");
  app.add_option("--tls-key", options.tls_key, "the key of --tls-cert (PEM)");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")
      ->default_str("info");
  app.add_option("--stop-timeout", stop_timeout_seconds,
                 "seconds a VM gets to power down before it is forced")
      ->check(CLI::PositiveNumber);
  app.add_option("--auth-burst", options.throttle.burst,
                 "failed token attempts one client address may make at once")
      ->check(CLI::PositiveNumber);
  app.add_option("--auth-refill", refill_seconds,
                 "seconds after which a client address earns one more attempt")
      ->check(CLI::PositiveNumber);
  CLI::App* fingerprint =
      app.add_subcommand("fingerprint", "print the SHA-256 fingerprint of the TLS certificate");
  CLI::App* rotate =
      app.add_subcommand("rotate-master",
                         "give the master token a new secret (written to master.token); the "
                         "daemon must be stopped");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::CallForVersion&) {
    return absl::CancelledError(VPVM_VERSION);
  } catch (const CLI::ConfigError& e) {
    absl::string_view what = e.what();
    if (absl::ConsumePrefix(&what, "INI was not able to parse ")) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file: unknown key \"", what,
                       "\" (the keys are the long option names, such as http-listen)"));
    }
    return absl::InvalidArgumentError(absl::StrCat("config file: ", e.what()));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }

  if (fingerprint->parsed()) options.command = DaemonOptions::Command::kFingerprint;
  if (rotate->parsed()) options.command = DaemonOptions::Command::kRotateMaster;
  options.tls = tls == "on";
  options.stop_timeout = absl::Seconds(stop_timeout_seconds);
  options.http_read_timeout = absl::Seconds(http_read_timeout_seconds);
  options.session_idle_timeout = absl::Seconds(session_idle_seconds);
  options.throttle.refill = absl::Seconds(refill_seconds);
  if (app.get_option("--config")->count() > 0 || std::filesystem::exists(DefaultConfigFile())) {
    options.config_file = app.get_option("--config")->as<std::string>();
  }
  if (options.state_dir.empty()) options.state_dir = DefaultStateDir();
  if (options.socket_path.empty()) options.socket_path = DefaultSocketPath(options.state_dir);
  if (options.listen.empty()) options.listen = "127.0.0.1:49152";
  if (options.http_listen.empty()) options.http_listen = "127.0.0.1:49153";

  if (options.listen != "off") {
    if (absl::Status s = CheckListenAddress(options.listen, "--listen"); !s.ok()) return s;
  }
  if (options.http_listen != "off") {
    if (absl::Status s = CheckListenAddress(options.http_listen, "--http-listen"); !s.ok()) {
      return s;
    }
  }
  if (options.tls_certificate.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (options.socket_path.size() >= 108) {
    return absl::InvalidArgumentError(
        absl::StrCat("the socket path ", options.socket_path,
                     " is longer than a Unix socket path may be (107)"));
  }
  return options;
}

}  // namespace vpvm::daemon
