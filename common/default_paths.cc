#include "common/default_paths.h"

#include <unistd.h>

#include <cstdlib>

namespace vpvm {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string Home() { return EnvOr("HOME", "/"); }

bool IsRoot() { return ::geteuid() == 0; }

}  // namespace

std::string DefaultStateDir() {
  if (IsRoot()) return "/var/lib/vpvm";
  return EnvOr("XDG_STATE_HOME", Home() + "/.local/state") + "/vpvm";
}

std::string DefaultSocketPath(const std::string& state_dir) {
  if (IsRoot()) return "/run/vpvm/vpvmd.sock";
  const std::string runtime = EnvOr("XDG_RUNTIME_DIR", "");
  if (!runtime.empty()) return runtime + "/vpvm/vpvmd.sock";
  return state_dir + "/vpvmd.sock";
}

std::string DefaultDaemonConfigDir() {
  if (IsRoot()) return "/etc/vpvm";
  return UserConfigDir();
}

std::string UserConfigDir() { return EnvOr("XDG_CONFIG_HOME", Home() + "/.config") + "/vpvm"; }

}  // namespace vpvm
