#include "cli/client/connection_settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/default_paths.h"

namespace vpvm::client {
namespace {

absl::StatusOr<int> ParsePort(const std::string& text, absl::string_view source) {
  int port = 0;
  if (!absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " \"", text, "\" is not a port number (1 to 65535)"));
  }
  return port;
}

absl::StatusOr<bool> ParseBool(const std::string& text, absl::string_view source) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off" || lower.empty()) {
    return false;
  }
  return absl::InvalidArgumentError(absl::StrCat(source, " \"", text, "\" is not true or false"));
}

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// Splits "HOST:PORT" and "[V6]:PORT"; a bare host (or a bare IPv6 address) keeps no port.
absl::Status SplitServer(const std::string& server, std::string* host, std::optional<int>* port) {
  if (server.empty()) return absl::InvalidArgumentError("the server name is empty");
  if (server.front() == '[') {
    const size_t close = server.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("server \"", server, "\" lacks its ']'"));
    }
    *host = server.substr(1, close - 1);
    if (close + 1 == server.size()) return absl::OkStatus();
    if (server[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("server \"", server, "\" is not [HOST]:PORT"));
    }
    auto parsed = ParsePort(server.substr(close + 2), "the port in --server");
    if (!parsed.ok()) return parsed.status();
    *port = *parsed;
    return absl::OkStatus();
  }
  const size_t colon = server.rfind(':');
  if (colon == std::string::npos || server.find(':') != colon) {
    *host = server;  // a name, an IPv4 address or a bare IPv6 address
    return absl::OkStatus();
  }
  *host = server.substr(0, colon);
  auto parsed = ParsePort(server.substr(colon + 1), "the port in --server");
  if (!parsed.ok()) return parsed.status();
  *port = *parsed;
  return absl::OkStatus();
}

template <typename T>
void Take(std::optional<T>& into, const std::optional<T>& from) {
  if (!into && from) into = from;
}

}  // namespace

std::string DefaultConfigFile() { return UserConfigDir() + "/vpvm.conf"; }

absl::StatusOr<SettingsLayer> SettingsFromEnvironment() {
  SettingsLayer layer;
  layer.socket = Env("VPVM_SOCKET");
  layer.state_dir = Env("VPVM_STATE_DIR");
  layer.server = Env("VPVM_SERVER");
  layer.token = Env("VPVM_TOKEN");
  layer.token_file = Env("VPVM_TOKEN_FILE");
  layer.fingerprint = Env("VPVM_FINGERPRINT");
  if (auto port = Env("VPVM_PORT")) {
    auto parsed = ParsePort(*port, "VPVM_PORT");
    if (!parsed.ok()) return parsed.status();
    layer.port = *parsed;
  }
  if (auto insecure = Env("VPVM_INSECURE")) {
    auto parsed = ParseBool(*insecure, "VPVM_INSECURE");
    if (!parsed.ok()) return parsed.status();
    layer.insecure = *parsed;
  }
  return layer;
}

absl::StatusOr<SettingsLayer> SettingsFromFile(const std::string& path, bool required) {
  SettingsLayer layer;
  std::ifstream in(path);
  if (!in) {
    if (!required && !std::filesystem::exists(path)) return layer;
    return absl::InvalidArgumentError(absl::StrCat("cannot read the config file ", path));
  }
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": ", e.what()));
  }

  for (const CLI::ConfigItem& item : items) {
    const std::string key = item.fullname();
    if (item.inputs.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, ": \"", key, "\" needs one value"));
    }
    const std::string& value = item.inputs.front();
    const std::string source = absl::StrCat("config file ", path, ": ", key);
    if (key == "socket") {
      layer.socket = value;
    } else if (key == "state-dir") {
      layer.state_dir = value;
    } else if (key == "server") {
      layer.server = value;
    } else if (key == "token") {
      layer.token = value;
    } else if (key == "token-file") {
      layer.token_file = value;
    } else if (key == "fingerprint") {
      layer.fingerprint = value;
    } else if (key == "port") {
      auto parsed = ParsePort(value, source);
      if (!parsed.ok()) return parsed.status();
      layer.port = *parsed;
    } else if (key == "insecure") {
      auto parsed = ParseBool(value, source);
      if (!parsed.ok()) return parsed.status();
      layer.insecure = *parsed;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "config file ", path, ": unknown key \"", key,
          "\" (known: socket, state-dir, server, port, token, token-file, fingerprint, insecure)"));
    }
  }
  return layer;
}

std::string ConnectionSettings::Target() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ConnectionSettings> ResolveSettings(const std::vector<SettingsLayer>& layers) {
  SettingsLayer merged;
  std::string host;
  bool placed = false;  // where the daemon is, decided by the first layer naming it
  for (const SettingsLayer& layer : layers) {
    Take(merged.port, layer.port);
    if (!placed && (layer.socket || layer.server)) {
      placed = true;
      merged.socket = layer.socket;
      merged.server = layer.server;
      if (layer.server) {
        std::optional<int> port_in_server;
        if (absl::Status s = SplitServer(*layer.server, &host, &port_in_server); !s.ok()) {
          return s;
        }
        Take(merged.port, port_in_server);
      }
    }
    // A token in a layer beats a token file in a lower one, and the other way round.
    if (!merged.token && !merged.token_file) {
      merged.token = layer.token;
      merged.token_file = layer.token_file;
    }
    Take(merged.state_dir, layer.state_dir);
    Take(merged.fingerprint, layer.fingerprint);
    Take(merged.insecure, layer.insecure);
  }

  ConnectionSettings settings;
  settings.state_dir = merged.state_dir.value_or(DefaultStateDir());
  settings.socket = merged.socket.value_or(DefaultSocketPath(settings.state_dir));
  settings.token = merged.token;
  settings.token_file = merged.token_file.value_or("");
  settings.fingerprint = merged.fingerprint.value_or("");
  settings.insecure = merged.insecure.value_or(false);
  settings.remote = merged.server.has_value();
  settings.host = host;
  settings.port = merged.port.value_or(kDefaultPort);
  return settings;
}

}  // namespace vpvm::client
