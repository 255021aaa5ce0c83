#include "daemon/qemu/qemu_img.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/qemu/internal/files.h"
#include "daemon/qemu/internal/json_util.h"
#include "daemon/qemu/internal/logging.h"
#include "daemon/qemu/internal/subprocess.h"
#include "nlohmann/json.hpp"

namespace vpvm::qemu {
namespace {

using nlohmann::json;

constexpr uint64_t kSectorSize = 512;
constexpr size_t kMaxSnapshotName = 128;

// Absolute, so that qemu-img never reads a path as an option ("-x") or a protocol ("nbd:...").
absl::StatusOr<std::string> ImagePath(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("the disk image path is empty");
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(std::string(path), error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad disk image path '", path, "': ", error.message()));
  }
  return absolute.lexically_normal().string();
}

absl::Status CheckSize(absl::string_view path, uint64_t size_bytes) {
  if (size_bytes == 0 || size_bytes % kSectorSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("size of disk image ", path, " must be a positive multiple of 512 bytes, not ",
                     size_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckSnapshotName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("the snapshot name is empty");
  if (name.size() > kMaxSnapshotName) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot name is ", name.size(), " bytes; at most ", kMaxSnapshotName));
  }
  if (std::all_of(name.begin(), name.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot name '", name, "' is all digits, which qemu-img would take for a snapshot id"));
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("the snapshot name contains control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status MustExist(const std::string& path) {
  if (internal::FileExists(path)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("disk image ", path, " does not exist"));
}

ImageSnapshot ParseSnapshot(const json& entry) {
  ImageSnapshot snapshot;
  snapshot.id = internal::StringField(entry, "id");
  snapshot.name = internal::StringField(entry, "name");
  snapshot.created = absl::FromUnixSeconds(internal::IntField(entry, "date-sec")) +
                     absl::Nanoseconds(internal::IntField(entry, "date-nsec"));
  snapshot.vm_state_size = static_cast<uint64_t>(internal::IntField(entry, "vm-state-size"));
  return snapshot;
}

const ImageSnapshot* FindSnapshot(const ImageInfo& info, absl::string_view name) {
  for (const ImageSnapshot& snapshot : info.snapshots) {
    if (snapshot.name == name) return &snapshot;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::string> QemuImg::Run(absl::string_view verb, const std::string& path,
                                         std::vector<std::string> args) const {
  args.insert(args.begin(), options_.binary);
  internal::Logger()->debug("qemu-img {} {}", internal::Sv(verb), path);
  VPVM_ASSIGN_OR_RETURN(internal::CommandResult result,
                        internal::RunCommand(args, options_.timeout));
  if (result.ok()) return std::move(result.std_out);

  std::string message = internal::LastLine(result.std_err);
  if (message.empty()) message = absl::StrCat("exit status ", result.exit_code);
  std::string full = absl::StrCat("qemu-img ", verb, " of ", path, " failed: ", message);
  if (absl::StrContains(result.std_err, "lock")) {
    return absl::FailedPreconditionError(
        absl::StrCat("disk image ", path, " is in use (is its VM running?): ", message));
  }
  return absl::InternalError(full);
}

absl::Status QemuImg::Create(absl::string_view path_in, uint64_t size_bytes) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_RETURN_IF_ERROR(CheckSize(path, size_bytes));
  // Claims the name first, so that an existing file is never overwritten.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string why = absl::StrCat("cannot create disk image ", path, ": ", strerror(errno));
    if (errno == EEXIST) return absl::AlreadyExistsError(why);
    if (errno == ENOENT) return absl::NotFoundError(why);
    return absl::FailedPreconditionError(why);
  }
  close(fd);
  absl::StatusOr<std::string> created =
      Run("create", path, {"create", "-q", "-f", "qcow2", path, absl::StrCat(size_bytes)});
  if (!created.ok()) {
    internal::RemoveFile(path).IgnoreError();
    return created.status();
  }
  internal::Logger()->info("created disk image {} ({} bytes)", path, size_bytes);
  return absl::OkStatus();
}

absl::Status QemuImg::Resize(absl::string_view path_in, uint64_t size_bytes) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_RETURN_IF_ERROR(CheckSize(path, size_bytes));
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, Info(path));
  if (size_bytes < info.virtual_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot shrink disk image ", path, " from ", info.virtual_size, " to ",
                     size_bytes, " bytes: shrinking would cut off data; only growing is allowed"));
  }
  if (size_bytes == info.virtual_size) return absl::OkStatus();
  VPVM_RETURN_IF_ERROR(
      Run("resize", path, {"resize", "-q", "-f", info.format, path, absl::StrCat(size_bytes)})
          .status());
  internal::Logger()->info("resized disk image {} from {} to {} bytes", path, info.virtual_size,
                           size_bytes);
  return absl::OkStatus();
}

absl::StatusOr<ImageInfo> QemuImg::Info(absl::string_view path_in) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_RETURN_IF_ERROR(MustExist(path));
  VPVM_ASSIGN_OR_RETURN(std::string out,
                        Run("info", path, {"info", "--output=json", "--force-share", path}));
  json parsed = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InternalError(absl::StrCat("qemu-img info of ", path, " gave no JSON object"));
  }
  ImageInfo info;
  info.format = internal::StringField(parsed, "format");
  info.virtual_size = static_cast<uint64_t>(internal::IntField(parsed, "virtual-size"));
  info.actual_size = static_cast<uint64_t>(internal::IntField(parsed, "actual-size"));
  if (const json* snapshots = internal::Field(parsed, "snapshots");
      snapshots != nullptr && snapshots->is_array()) {
    for (const json& entry : *snapshots) info.snapshots.push_back(ParseSnapshot(entry));
  }
  return info;
}

absl::StatusOr<std::vector<ImageSnapshot>> QemuImg::ListSnapshots(absl::string_view path) const {
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, Info(path));
  return std::move(info.snapshots);
}

absl::StatusOr<ImageInfo> QemuImg::SnapshotTarget(absl::string_view verb, const std::string& path,
                                                  absl::string_view name) const {
  VPVM_RETURN_IF_ERROR(CheckSnapshotName(name));
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, Info(path));
  if (info.format != "qcow2") {
    return absl::FailedPreconditionError(absl::StrCat("cannot ", verb, " snapshot of ", path,
                                                      ": snapshots need a qcow2 image, this is ",
                                                      info.format));
  }
  return info;
}

absl::Status QemuImg::CreateSnapshot(absl::string_view path_in, absl::string_view name) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, SnapshotTarget("create a", path, name));
  if (FindSnapshot(info, name) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("disk image ", path, " already has a snapshot named '", name, "'"));
  }
  VPVM_RETURN_IF_ERROR(
      Run("snapshot -c", path, {"snapshot", "-q", "-c", std::string(name), path}).status());
  internal::Logger()->info("created snapshot '{}' of {}", internal::Sv(name), path);
  return absl::OkStatus();
}

absl::Status QemuImg::ApplySnapshot(absl::string_view path_in, absl::string_view name) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, SnapshotTarget("apply a", path, name));
  if (FindSnapshot(info, name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("disk image ", path, " has no snapshot named '", name, "'"));
  }
  VPVM_RETURN_IF_ERROR(
      Run("snapshot -a", path, {"snapshot", "-q", "-a", std::string(name), path}).status());
  internal::Logger()->info("applied snapshot '{}' to {}", internal::Sv(name), path);
  return absl::OkStatus();
}

absl::Status QemuImg::DeleteSnapshot(absl::string_view path_in, absl::string_view name) const {
  VPVM_ASSIGN_OR_RETURN(std::string path, ImagePath(path_in));
  VPVM_ASSIGN_OR_RETURN(ImageInfo info, SnapshotTarget("delete a", path, name));
  if (FindSnapshot(info, name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("disk image ", path, " has no snapshot named '", name, "'"));
  }
  VPVM_RETURN_IF_ERROR(
      Run("snapshot -d", path, {"snapshot", "-q", "-d", std::string(name), path}).status());
  internal::Logger()->info("deleted snapshot '{}' of {}", internal::Sv(name), path);
  return absl::OkStatus();
}

}  // namespace vpvm::qemu
