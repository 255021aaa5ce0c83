#include "daemon/qemu/accelerator.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/qemu/internal/logging.h"
#include "daemon/qemu/internal/subprocess.h"

namespace vpvm::qemu {
namespace {

bool ProbeKvm() {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return false;
  bool usable = false;
  if (ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION) {
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm >= 0) {
      usable = true;
      close(vm);
    }
  }
  close(kvm);
  return usable;
}

// Whether QEMU brings up a machine under KVM with `cpu_model` ("" for QEMU's default). Some hosts
// (nested virtualisation especially) open /dev/kvm fine but refuse the MSRs of `-cpu host`, and
// QEMU aborts at machine reset, so the only real test is a machine that gets that far: started
// halted and daemonized, then ended at once.
bool QemuRunsUnderKvm(const std::string& qemu_binary, const std::string& cpu_model) {
  char folder_template[] = "/tmp/vpvm-kvm-probe-XXXXXX";
  if (mkdtemp(folder_template) == nullptr) return false;
  const std::string folder = folder_template;
  const std::string pid_file = folder + "/qemu.pid";
  std::vector<std::string> argv = {
      qemu_binary, "-machine", "q35",         "-accel",          "kvm",
      "-m",        "16M",      "-nodefaults", "-no-user-config", "-display",
      "none",      "-S",       "-daemonize",  "-pidfile",        pid_file};
  if (!cpu_model.empty()) argv.insert(argv.end(), {"-cpu", cpu_model});
  absl::StatusOr<internal::CommandResult> result = internal::RunCommand(argv, absl::Seconds(30));

  std::ifstream pid_in(pid_file);
  pid_t pid = 0;
  if (pid_in >> pid && pid > 0) ::kill(pid, SIGKILL);
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);

  const bool ok = result.ok() && result->ok();
  if (!ok) {
    internal::Logger()->info(
        "QEMU does not run under KVM with {}: {}",
        cpu_model.empty() ? "its default CPU model" : "-cpu " + cpu_model,
        result.ok() ? internal::LastLine(result->std_err) : std::string(result.status().message()));
  }
  return ok;
}

struct KvmSupport {
  bool usable = false;
  std::string cpu_model;
};

const KvmSupport& ProbedKvmSupport() {
  static const KvmSupport support = [] {
    KvmSupport result;
    if (ProbeKvm()) {
      const std::string qemu = "qemu-system-x86_64";
      if (QemuRunsUnderKvm(qemu, "host")) {
        result = {true, "host"};
      } else if (QemuRunsUnderKvm(qemu, "")) {
        result = {true, ""};
      }
    }
    internal::Logger()->info("KVM is {}; VMs without an explicit accelerator use {}{}",
                             result.usable ? "usable" : "not usable", result.usable ? "kvm" : "tcg",
                             result.usable && result.cpu_model.empty()
                                 ? " with QEMU's default CPU model (-cpu host is refused here)"
                                 : "");
    return result;
  }();
  return support;
}

}  // namespace

absl::string_view AcceleratorName(Accelerator accelerator) {
  switch (accelerator) {
    case Accelerator::kAuto:
      return "auto";
    case Accelerator::kKvm:
      return "kvm";
    case Accelerator::kTcg:
      return "tcg";
  }
  return "auto";
}

bool KvmUsable() { return ProbedKvmSupport().usable; }

const std::string& KvmCpuModel() { return ProbedKvmSupport().cpu_model; }

Accelerator ResolveAccelerator(Accelerator requested) {
  if (requested != Accelerator::kAuto) return requested;
  return KvmUsable() ? Accelerator::kKvm : Accelerator::kTcg;
}

}  // namespace vpvm::qemu
