#pragma once

// QemuImg: disk images and their internal snapshots through the qemu-img tool.
//
// qemu-img runs without a shell; a failure comes back with the last line qemu-img wrote to
// stderr. Bad input is refused before qemu-img runs, with a message naming what is wrong, so a
// refused call leaves the image as it was:
//  - InvalidArgument: a size of 0 or not a multiple of 512 bytes, shrinking, a snapshot name
//    that is empty, all digits (qemu-img would take it for a snapshot id), has control
//    characters or is longer than 128 bytes;
//  - AlreadyExists: creating over an existing file, a snapshot name already taken;
//  - NotFound: a missing image or folder, an unknown snapshot;
//  - FailedPrecondition: snapshots of an image that is not qcow2, or an image that a running
//    QEMU holds locked.
// Reading (Info, ListSnapshots) works on images in use; changing them does not.
// Relative paths are taken relative to the current directory. Thread-safe (no state).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vpvm::qemu {

// One internal snapshot of a qcow2 image.
struct ImageSnapshot {
  std::string id;  // assigned by QEMU: "1", "2", ...
  std::string name;
  absl::Time created;
  uint64_t vm_state_size = 0;  // bytes of VM state saved with it; 0 for disk-only snapshots
};

struct ImageInfo {
  std::string format;         // "qcow2", "raw", ...
  uint64_t virtual_size = 0;  // the size the guest sees
  uint64_t actual_size = 0;   // bytes used on the host
  std::vector<ImageSnapshot> snapshots;
};

class QemuImg {
 public:
  struct Options {
    std::string binary = "qemu-img";
    // Per qemu-img run; converting or snapshotting big images takes time.
    absl::Duration timeout = absl::Minutes(10);
  };

  QemuImg() : QemuImg(Options()) {}
  explicit QemuImg(Options options) : options_(std::move(options)) {}

  // A new qcow2 image of `size_bytes`; refuses to replace an existing file.
  absl::Status Create(absl::string_view path, uint64_t size_bytes) const;
  // Grows the image to `size_bytes` (same size: nothing to do). Shrinking is refused.
  absl::Status Resize(absl::string_view path, uint64_t size_bytes) const;
  absl::StatusOr<ImageInfo> Info(absl::string_view path) const;

  absl::StatusOr<std::vector<ImageSnapshot>> ListSnapshots(absl::string_view path) const;
  absl::Status CreateSnapshot(absl::string_view path, absl::string_view name) const;
  // Reverts the image's contents to the snapshot; the snapshot stays.
  absl::Status ApplySnapshot(absl::string_view path, absl::string_view name) const;
  absl::Status DeleteSnapshot(absl::string_view path, absl::string_view name) const;

 private:
  absl::StatusOr<std::string> Run(absl::string_view verb, const std::string& path,
                                  std::vector<std::string> args) const;
  absl::StatusOr<ImageInfo> SnapshotTarget(absl::string_view verb, const std::string& path,
                                           absl::string_view name) const;

  Options options_;
};

}  // namespace vpvm::qemu
