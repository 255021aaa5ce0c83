#pragma once

// Where vpvmd keeps its files by default (DESIGN.md §2), for the daemon and for the clients that
// look for it: one answer for root and one for a normal user.

#include <string>

namespace vpvm {

// /var/lib/vpvm as root, else $XDG_STATE_HOME/vpvm (~/.local/state/vpvm).
std::string DefaultStateDir();

// /run/vpvm/vpvmd.sock as root, else $XDG_RUNTIME_DIR/vpvm/vpvmd.sock, or `state_dir`/vpvmd.sock
// when there is no runtime folder.
std::string DefaultSocketPath(const std::string& state_dir);

// /etc/vpvm as root, else $XDG_CONFIG_HOME/vpvm (~/.config/vpvm): the daemon's config folder.
std::string DefaultDaemonConfigDir();

// $XDG_CONFIG_HOME/vpvm (~/.config/vpvm) for every user: the clients' config folder.
std::string UserConfigDir();

}  // namespace vpvm
