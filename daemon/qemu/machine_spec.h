#pragma once

// QemuMachineSpec: what a QemuMachine is made of, and the checks it must pass.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "daemon/qemu/accelerator.h"

namespace vpvm::qemu {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// The configuration of one VM. QemuMachine::Open() makes a relative folder absolute, then
// validates it.
struct QemuMachineSpec {
  std::string id;      // immutable id, used in logs and callbacks
  std::string name;    // shown as QEMU's -name
  std::string folder;  // holds qemu.pid, qmp.sock and the saved state; created when missing
  int cpus = 1;
  uint64_t memory_bytes = 512 * kMiB;   // a whole number of MiB, at least 16 MiB
  std::vector<std::string> disks;       // qcow2 images, attached as virtio disks in this order
  std::vector<std::string> extra_args;  // appended to QEMU's command line as they are
  Accelerator accelerator = Accelerator::kAuto;
  // How long a graceful stop waits for the guest to power off before quitting QEMU.
  absl::Duration graceful_stop_timeout = absl::Seconds(60);
  // How long saving (suspend) or loading (start after suspend) the machine state may take.
  absl::Duration state_transfer_timeout = absl::Minutes(10);
  // How long qemu-system may take to daemonize.
  absl::Duration launch_timeout = absl::Seconds(30);
  std::string qemu_binary = "qemu-system-x86_64";
};

// The files of a VM inside its folder.
struct MachinePaths {
  std::string pid_file;
  std::string qmp_socket;
  std::string saved_state;          // written by suspend, read and removed by the next start
  std::string saved_state_partial;  // the saved state while it is being written
};

MachinePaths PathsOf(const QemuMachineSpec& spec);

// InvalidArgument naming the first field that is wrong: an empty id or name, a name with
// control characters, a relative or empty folder, a folder with a comma (QEMU option syntax),
// a QMP socket path of 108 bytes or more, cpus outside 1..255, memory under 16 MiB or not a
// whole number of MiB, an empty disk path, a negative timeout, an empty QEMU binary.
absl::Status ValidateSpec(const QemuMachineSpec& spec);

}  // namespace vpvm::qemu
