#include "daemon/qemu/vm_state.h"

namespace vpvm::qemu {

absl::string_view VmStateName(VmState state) {
  switch (state) {
    case VmState::kStopped:
      return "stopped";
    case VmState::kStarting:
      return "starting";
    case VmState::kRunning:
      return "running";
    case VmState::kPaused:
      return "paused";
    case VmState::kSuspended:
      return "suspended";
    case VmState::kStopping:
      return "stopping";
    case VmState::kError:
      return "error";
  }
  return "error";
}

VmState VmStateFromRunState(absl::string_view run_state) {
  struct Mapping {
    absl::string_view run_state;
    VmState state;
  };
  // The RunState enum of QEMU 7.2's qapi/run-state.json, in its order.
  static constexpr Mapping kMappings[] = {
      // Stopped by a debugger (gdbstub); continues on request.
      {"debug", VmState::kPaused},
      // Waiting for or loading incoming migration: restoring saved state.
      {"inmigrate", VmState::kStarting},
      // The accelerator hit an error it cannot recover from.
      {"internal-error", VmState::kError},
      // Halted on a disk error (werror/rerror=stop).
      {"io-error", VmState::kError},
      {"paused", VmState::kPaused},
      // The state was migrated out; the guest is halted but QEMU would still resume it.
      {"postmigrate", VmState::kPaused},
      // Created with -S and not yet started.
      {"prelaunch", VmState::kStarting},
      // Halted for the last pass of an outgoing migration, which vpvm only runs to suspend.
      {"finish-migrate", VmState::kStopping},
      // Loading an internal snapshot (loadvm).
      {"restore-vm", VmState::kStarting},
      {"running", VmState::kRunning},
      // Halted while writing an internal snapshot (savevm); continues afterwards.
      {"save-vm", VmState::kPaused},
      // The guest shut down; without -no-shutdown the process is about to end.
      {"shutdown", VmState::kStopping},
      // Guest-initiated ACPI S3 sleep; woken by system_wakeup.
      {"suspended", VmState::kSuspended},
      // Halted by a watchdog whose action is "pause".
      {"watchdog", VmState::kError},
      // Halted on a guest panic (pvpanic).
      {"guest-panicked", VmState::kError},
      // Running under COLO fault tolerance.
      {"colo", VmState::kRunning},
  };
  for (const Mapping& mapping : kMappings) {
    if (mapping.run_state == run_state) return mapping.state;
  }
  return VmState::kError;
}

}  // namespace vpvm::qemu
