#include "daemon/qemu/machine_spec.h"

#include <sys/un.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace vpvm::qemu {
namespace {

constexpr int kMaxCpus = 255;
constexpr uint64_t kMinMemory = 16 * kMiB;

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

MachinePaths PathsOf(const QemuMachineSpec& spec) {
  std::string folder = spec.folder;
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  return MachinePaths{
      .pid_file = absl::StrCat(folder, "/qemu.pid"),
      .qmp_socket = absl::StrCat(folder, "/qmp.sock"),
      .saved_state = absl::StrCat(folder, "/saved-state.vmstate"),
      .saved_state_partial = absl::StrCat(folder, "/saved-state.vmstate.partial"),
  };
}

absl::Status ValidateSpec(const QemuMachineSpec& spec) {
  auto invalid = [&spec](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("VM '", spec.name, "' (", spec.id, "): ", parts...));
  };
  if (spec.id.empty()) return invalid("the id is empty");
  if (spec.name.empty()) return invalid("the name is empty");
  if (HasControlCharacter(spec.name) || HasControlCharacter(spec.id)) {
    return invalid("the name or id contains control characters");
  }
  if (spec.folder.empty() || spec.folder[0] != '/') {
    return invalid("the folder must be an absolute path, not '", spec.folder, "'");
  }
  if (absl::StrContains(spec.folder, ',')) {
    return invalid("the folder path must not contain a comma: ", spec.folder);
  }
  std::string socket = PathsOf(spec).qmp_socket;
  if (socket.size() >= sizeof(sockaddr_un::sun_path)) {
    return invalid("the QMP socket path ", socket, " is ", socket.size(),
                   " bytes; Unix socket paths must be under ", sizeof(sockaddr_un::sun_path),
                   " bytes, so the folder needs a shorter path");
  }
  if (spec.cpus < 1 || spec.cpus > kMaxCpus) {
    return invalid("cpus must be between 1 and ", kMaxCpus, ", not ", spec.cpus);
  }
  if (spec.memory_bytes < kMinMemory || spec.memory_bytes % kMiB != 0) {
    return invalid("memory must be a whole number of MiB and at least 16 MiB, not ",
                   spec.memory_bytes, " bytes");
  }
  for (const std::string& disk : spec.disks) {
    if (disk.empty()) return invalid("a disk path is empty");
  }
  if (spec.graceful_stop_timeout < absl::ZeroDuration() ||
      spec.state_transfer_timeout <= absl::ZeroDuration() ||
      spec.launch_timeout <= absl::ZeroDuration()) {
    return invalid("timeouts must be positive");
  }
  if (spec.qemu_binary.empty()) return invalid("the QEMU binary is empty");
  return absl::OkStatus();
}

}  // namespace vpvm::qemu
