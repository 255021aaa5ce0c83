#include "daemon/qemu/internal/command_line.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/qemu/internal/process.h"

namespace vpvm::qemu::internal {

std::string OptionValue(absl::string_view value) {
  return absl::StrReplaceAll(value, {{",", ",,"}});
}

std::string ShellQuote(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

std::string QmpArgument(const QemuMachineSpec& spec) {
  return absl::StrCat("unix:", PathsOf(spec).qmp_socket, ",server=on,wait=off");
}

bool IsProcessOf(const QemuMachineSpec& spec, pid_t pid) {
  std::vector<std::string> args = ProcessCommandLine(pid);
  return std::find(args.begin(), args.end(), QmpArgument(spec)) != args.end();
}

std::vector<std::string> BuildCommandLine(const QemuMachineSpec& spec, Accelerator accelerator,
                                          LaunchKind kind, absl::string_view kvm_cpu_model) {
  MachinePaths paths = PathsOf(spec);
  std::vector<std::string> argv = {
      spec.qemu_binary,
      "-name",
      absl::StrCat("guest=", OptionValue(spec.name)),
      "-machine",
      "q35",
      "-accel",
      accelerator == Accelerator::kKvm ? "kvm" : "tcg",
  };
  // The host's CPU model under KVM where QEMU accepts it; QEMU's default model under TCG.
  if (accelerator == Accelerator::kKvm && !kvm_cpu_model.empty()) {
    argv.insert(argv.end(), {"-cpu", std::string(kvm_cpu_model)});
  }
  argv.insert(argv.end(),
              {
                  "-m",
                  absl::StrCat(spec.memory_bytes / kMiB, "M"),
                  "-smp",
                  absl::StrCat(spec.cpus),
                  "-nodefaults",
                  "-no-user-config",
                  "-display",
                  "none",
                  "-serial",
                  "none",
                  // Halted until `cont`, so that nothing runs before the QMP connection tracks it.
                  "-S",
                  "-daemonize",
                  "-pidfile",
                  paths.pid_file,
                  "-qmp",
                  QmpArgument(spec),
              });
  // Deferred, so that migration events are switched on before the state is read.
  if (kind == LaunchKind::kRestore) argv.insert(argv.end(), {"-incoming", "defer"});
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    argv.push_back("-drive");
    argv.push_back(
        absl::StrCat("file=", OptionValue(spec.disks[i]), ",format=qcow2,if=virtio,id=disk", i));
  }
  argv.insert(argv.end(), spec.extra_args.begin(), spec.extra_args.end());
  return argv;
}

}  // namespace vpvm::qemu::internal
