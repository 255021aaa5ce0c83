// Starts a VM, pauses it and dies by SIGKILL without detaching: what a daemon killed with
// `kill -9` leaves behind. Usage: qemu_vm_helper FOLDER ID NAME
// Prints "paused PID" once the VM is paused.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "daemon/qemu/qemu_machine.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FOLDER ID NAME\n", argv[0]);
    return 2;
  }
  vpvm::qemu::QemuMachineSpec spec;
  spec.folder = argv[1];
  spec.id = argv[2];
  spec.name = argv[3];
  spec.memory_bytes = 64 * vpvm::qemu::kMiB;
  spec.graceful_stop_timeout = absl::Seconds(1);
  if (const char* accel = getenv("VPVM_TEST_ACCEL"); accel && std::string(accel) == "tcg") {
    spec.accelerator = vpvm::qemu::Accelerator::kTcg;
  }

  absl::StatusOr<std::unique_ptr<vpvm::qemu::QemuMachine>> machine =
      vpvm::qemu::QemuMachine::Open(spec);
  if (!machine.ok()) {
    std::fprintf(stderr, "open: %s\n", machine.status().ToString().c_str());
    return 1;
  }
  for (absl::Status status : {(*machine)->Start(), (*machine)->Pause()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
  }
  std::printf("paused %d\n", static_cast<int>((*machine)->pid().value_or(0)));
  std::fflush(stdout);
  raise(SIGKILL);
  return 1;
}
