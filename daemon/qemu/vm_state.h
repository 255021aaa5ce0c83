#pragma once

// The states of a VM as vpvm shows them, and how QEMU's run states map onto them.

#include <string>

#include "absl/strings/string_view.h"

namespace vpvm::qemu {

// What a VM is doing, as shown to users. Every QEMU run state maps to exactly one of these.
enum class VmState {
  kStopped,    // no QEMU process and no saved state
  kStarting,   // a process is being launched, or is loading saved state
  kRunning,    // the guest's CPUs run
  kPaused,     // the guest's CPUs are halted and can be resumed
  kSuspended,  // the guest sleeps: its state saved to a file (no process), or guest-initiated S3
  kStopping,   // a stop or suspend is under way, or QEMU is shutting down
  kError,      // QEMU halted the guest on a fault, or the process ended unexpectedly
};

// "stopped", "starting", ...: lower case, stable, for logs and APIs.
absl::string_view VmStateName(VmState state);

// Maps a QEMU run state as reported by query-status ("running", "io-error", ...) to a VmState.
// Every RunState of QEMU 7.2 has a mapping; an unknown name maps to kError. Pure.
VmState VmStateFromRunState(absl::string_view run_state);

}  // namespace vpvm::qemu
