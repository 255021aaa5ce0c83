#pragma once

// The qemu-system command line of a VM.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/qemu/accelerator.h"
#include "daemon/qemu/machine_spec.h"

namespace vpvm::qemu::internal {

// How the process starts: fresh (halted with -S until `cont`), or waiting for saved state to be
// fed to it with migrate-incoming (-incoming defer).
enum class LaunchKind { kFresh, kRestore };

// The full argv of a daemonized QEMU for `spec` on `accelerator` (kKvm or kTcg). Under KVM the
// CPU model is `kvm_cpu_model`, or QEMU's default when it is empty.
std::vector<std::string> BuildCommandLine(const QemuMachineSpec& spec, Accelerator accelerator,
                                          LaunchKind kind,
                                          absl::string_view kvm_cpu_model = "host");

// The -qmp argument, which also identifies a VM's process among all others.
std::string QmpArgument(const QemuMachineSpec& spec);

// True when `pid` is the QEMU of `spec`, not another process that reuses a stale pid.
bool IsProcessOf(const QemuMachineSpec& spec, pid_t pid);

// A value inside QEMU's "key=value,..." option syntax: commas doubled.
std::string OptionValue(absl::string_view value);

// `text` as one single-quoted /bin/sh word.
std::string ShellQuote(absl::string_view text);

}  // namespace vpvm::qemu::internal
