#pragma once

// vpvmd's composition root: it owns every part of the daemon and wires them together, in the
// order that keeps a refused start harmless (lock the state folder and check the addresses
// before writing anything; write the bound addresses only once ready).

#include <memory>

#include "absl/status/status.h"
#include "daemon/config.h"

namespace vpvm::daemon {

// Serves until SIGTERM or SIGINT, then stops cleanly: in-flight calls finish, last-used data
// is flushed, VMs keep running.
absl::Status RunDaemon(const DaemonOptions& options);

// `vpvmd fingerprint`: the SHA-256 fingerprint of the daemon's certificate.
absl::Status PrintFingerprint(const DaemonOptions& options);

// `vpvmd rotate-master`: a new master secret, written to master.token; needs the state folder's
// lock, so the daemon must be stopped.
absl::Status RotateMaster(const DaemonOptions& options);

}  // namespace vpvm::daemon
