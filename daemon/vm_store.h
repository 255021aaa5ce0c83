#pragma once

// A VM's stored record and the rules its fields follow. Each VM lives in its own folder,
// `<state>/vms/<id>/`: `vm.json` (this record, replaced atomically on every change), one qcow2
// image per disk (`<disk name>.qcow2`, with the VM's snapshots inside), and the files of its QEMU
// process (pid file, QMP socket, saved state of a suspended VM).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::daemon {

// One virtio disk, stored as `<folder>/<name>.qcow2`.
struct DiskConfig {
  std::string name;  // unique within the VM
  uint64_t size_bytes = 0;
};

// A network interface, connected to a host network when the VM starts.
struct NetworkAttachmentConfig {
  std::string name;  // unique within the VM: net0, net1, ...
  std::string network;
  std::string mac_address;  // lower case, 52:54:00:xx:xx:xx when generated
};

// A snapshot of every disk of the VM; qcow2 holds the data, the record holds what qcow2 cannot.
struct SnapshotRecord {
  std::string name;
  std::string description;
  absl::Time created_at;
};

// Everything vpvm stores about one VM.
struct VmConfig {
  std::string id;  // immutable
  std::string name;
  std::string description;
  int cpus = 1;
  uint64_t memory_bytes = 0;
  std::vector<DiskConfig> disks;  // in boot order
  std::vector<NetworkAttachmentConfig> networks;
  std::vector<SnapshotRecord> snapshots;  // oldest first
  absl::Time created_at;
};

inline constexpr uint64_t kMebibyte = uint64_t{1} << 20;
inline constexpr uint64_t kGibibyte = uint64_t{1} << 30;
inline constexpr int kMaxCpus = 255;
inline constexpr uint64_t kMinMemoryBytes = 16 * kMebibyte;

// A VM name: 1 to 63 characters of [a-z0-9-], starting with a letter and not ending with a
// hyphen, like a host name. Ids ("vm_" and 12 characters) can never be names.
absl::Status CheckVmName(absl::string_view name);
// Disk, network attachment and host network names follow the VM name rules; `what` names the
// field in the message ("disk name").
absl::Status CheckName(absl::string_view name, absl::string_view what);
// 1 to 63 characters of [A-Za-z0-9._-], not all digits (qemu-img would take those for an id).
absl::Status CheckSnapshotName(absl::string_view name);
absl::Status CheckDescription(absl::string_view description);
absl::Status CheckCpus(int64_t cpus);
// A whole number of MiB, at least 16 MiB.
absl::Status CheckMemory(uint64_t memory_bytes);
// Positive and a multiple of 512 bytes.
absl::Status CheckDiskSize(uint64_t size_bytes);
// Six colon-separated hex octets of a unicast address; the answer is lower case.
absl::StatusOr<std::string> NormalizeMacAddress(absl::string_view mac);

// "8 GiB", "512 MiB", "1000 bytes": for messages.
std::string FormatBytes(uint64_t bytes);

// Items with a `name` (disks, attachments, snapshots): whether one has `name`, which one, and
// the lowest "<prefix><n>" that none has ("disk0", "net1", "snap2").
template <typename Item>
bool HasNamed(const std::vector<Item>& items, absl::string_view name) {
  return std::any_of(items.begin(), items.end(),
                     [&](const Item& item) { return item.name == name; });
}
template <typename Item>
typename std::vector<Item>::iterator FindNamed(std::vector<Item>& items, absl::string_view name) {
  return std::find_if(items.begin(), items.end(),
                      [&](const Item& item) { return item.name == name; });
}
template <typename Item>
std::string FirstFreeName(absl::string_view prefix, const std::vector<Item>& items) {
  for (int n = 0;; ++n) {
    std::string name = absl::StrCat(prefix, n);
    if (!HasNamed(items, name)) return name;
  }
}

// The record's file in `folder`.
std::string VmConfigPath(absl::string_view folder);
// The image of `disk` in `folder`.
std::string DiskPath(absl::string_view folder, absl::string_view disk);

// Reads and checks `<folder>/vm.json`; a missing file is NotFound, a damaged one DataLoss.
absl::StatusOr<VmConfig> LoadVmConfig(absl::string_view folder);
// Replaces `<folder>/vm.json` atomically (mode 0600).
absl::Status SaveVmConfig(absl::string_view folder, const VmConfig& config);

}  // namespace vpvm::daemon
