#include "daemon/qemu/accelerator.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon/qemu/internal/logging.h"

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

bool KvmUsable() {
  static const bool usable = [] {
    bool result = ProbeKvm();
    internal::Logger()->info("KVM is {}; VMs without an explicit accelerator use {}",
                             result ? "usable" : "not usable", result ? "kvm" : "tcg");
    return result;
  }();
  return usable;
}

Accelerator ResolveAccelerator(Accelerator requested) {
  if (requested != Accelerator::kAuto) return requested;
  return KvmUsable() ? Accelerator::kKvm : Accelerator::kTcg;
}

}  // namespace vpvm::qemu
