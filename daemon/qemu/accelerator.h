#pragma once

// Which accelerator a VM runs on: KVM where the host really offers it, TCG otherwise.

#include <string>

#include "absl/strings/string_view.h"

namespace vpvm::qemu {

enum class Accelerator {
  kAuto,  // KVM when KvmUsable(), else TCG
  kKvm,
  kTcg,
};

absl::string_view AcceleratorName(Accelerator accelerator);  // "auto", "kvm", "tcg"

// True when /dev/kvm opens read-write, speaks the expected API version and can create a VM (a
// device node alone proves nothing inside containers or without nested virtualisation), and
// QEMU really brings a machine up under it. Probed once per process (a tenth of a second);
// later calls return the cached answer.
bool KvmUsable();

// The CPU model that VMs under KVM use: "host" where QEMU accepts it, else "" (QEMU's default
// model: some nested hosts refuse the MSRs of the host model).
const std::string& KvmCpuModel();

// kAuto resolved through KvmUsable(); kKvm and kTcg returned as they are.
Accelerator ResolveAccelerator(Accelerator requested);

}  // namespace vpvm::qemu
