#include "daemon/vm_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "daemon/state_dir.h"
#include "nlohmann/json.hpp"

namespace vpvm::daemon {
namespace {

using nlohmann::json;

constexpr char kConfigFile[] = "vm.json";
constexpr int kFormatVersion = 1;
constexpr size_t kMaxNameLength = 63;
constexpr size_t kMaxDescriptionLength = 1024;
constexpr size_t kMaxConfigBytes = 1 << 20;

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string content;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status =
          absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxConfigBytes) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(path, " is too large to be a VM record"));
    }
  }
  ::close(fd);
  return content;
}

json ToJson(const VmConfig& config) {
  json disks = json::array();
  for (const DiskConfig& disk : config.disks) {
    disks.push_back({{"name", disk.name}, {"size_bytes", disk.size_bytes}});
  }
  json networks = json::array();
  for (const NetworkAttachmentConfig& n : config.networks) {
    networks.push_back({{"name", n.name}, {"network", n.network}, {"mac_address", n.mac_address}});
  }
  json snapshots = json::array();
  for (const SnapshotRecord& s : config.snapshots) {
    snapshots.push_back(
        {{"name", s.name}, {"description", s.description}, {"created_at", TimeText(s.created_at)}});
  }
  return {{"format", kFormatVersion},
          {"id", config.id},
          {"name", config.name},
          {"description", config.description},
          {"cpus", config.cpus},
          {"memory_bytes", config.memory_bytes},
          {"disks", std::move(disks)},
          {"network_attachments", std::move(networks)},
          {"snapshots", std::move(snapshots)},
          {"created_at", TimeText(config.created_at)}};
}

absl::Time ParseTime(const json& value) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &error)) {
    throw std::invalid_argument("bad time \"" + value.get<std::string>() + "\": " + error);
  }
  return t;
}

// Throws on a missing field, a wrong type or a bad value; the caller turns that into a status.
VmConfig FromJson(const json& in) {
  if (in.at("format").get<int>() != kFormatVersion) {
    throw std::invalid_argument("unknown format version");
  }
  VmConfig config;
  config.id = in.at("id").get<std::string>();
  config.name = in.at("name").get<std::string>();
  config.description = in.at("description").get<std::string>();
  config.cpus = in.at("cpus").get<int>();
  config.memory_bytes = in.at("memory_bytes").get<uint64_t>();
  for (const json& disk : in.at("disks")) {
    config.disks.push_back(
        {disk.at("name").get<std::string>(), disk.at("size_bytes").get<uint64_t>()});
  }
  for (const json& n : in.at("network_attachments")) {
    config.networks.push_back({n.at("name").get<std::string>(), n.at("network").get<std::string>(),
                               n.at("mac_address").get<std::string>()});
  }
  for (const json& s : in.at("snapshots")) {
    config.snapshots.push_back({s.at("name").get<std::string>(),
                                s.at("description").get<std::string>(),
                                ParseTime(s.at("created_at"))});
  }
  config.created_at = ParseTime(in.at("created_at"));
  return config;
}

absl::Status CheckLoaded(const VmConfig& config) {
  VPVM_RETURN_IF_ERROR(CheckVmName(config.name));
  VPVM_RETURN_IF_ERROR(CheckCpus(config.cpus));
  VPVM_RETURN_IF_ERROR(CheckMemory(config.memory_bytes));
  for (const DiskConfig& disk : config.disks) {
    VPVM_RETURN_IF_ERROR(CheckName(disk.name, "disk name"));
  }
  for (const NetworkAttachmentConfig& n : config.networks) {
    VPVM_RETURN_IF_ERROR(CheckName(n.name, "network attachment name"));
  }
  for (const SnapshotRecord& s : config.snapshots) VPVM_RETURN_IF_ERROR(CheckSnapshotName(s.name));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckName(absl::string_view name, absl::string_view what) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", name, "\": it must be 1 to 63 characters long"));
  }
  if (!IsLower(name.front())) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", name, "\": it must start with a letter a-z"));
  }
  for (char c : name) {
    if (!IsLower(c) && !IsDigit(c) && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", what, " \"", name,
                       "\": only lower-case letters a-z, digits and hyphens are allowed"));
    }
  }
  if (name.back() == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", name, "\": it must not end with a hyphen"));
  }
  return absl::OkStatus();
}

absl::Status CheckVmName(absl::string_view name) { return CheckName(name, "VM name"); }

absl::Status CheckSnapshotName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid snapshot name \"", name, "\": it must be 1 to 63 characters long"));
  }
  bool all_digits = true;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid snapshot name \"", name,
                       "\": only letters, digits, hyphens, underscores and dots are allowed"));
    }
    all_digits = all_digits && IsDigit(c);
  }
  if (all_digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid snapshot name \"", name, "\": it must not be all digits"));
  }
  return absl::OkStatus();
}

absl::Status CheckDescription(absl::string_view description) {
  if (description.size() > kMaxDescriptionLength) {
    return absl::InvalidArgumentError("the description is longer than 1024 bytes");
  }
  return absl::OkStatus();
}

absl::Status CheckCpus(int64_t cpus) {
  if (cpus < 1 || cpus > kMaxCpus) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CPU count ", cpus, ": it must be 1 to ", kMaxCpus));
  }
  return absl::OkStatus();
}

absl::Status CheckMemory(uint64_t memory_bytes) {
  if (memory_bytes < kMinMemoryBytes || memory_bytes % kMebibyte != 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid memory size ", memory_bytes,
                                                   " bytes: it must be a whole number of MiB, "
                                                   "at least 16 MiB"));
  }
  return absl::OkStatus();
}

absl::Status CheckDiskSize(uint64_t size_bytes) {
  if (size_bytes == 0 || size_bytes % 512 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid disk size ", size_bytes, " bytes: it must be positive and a multiple of 512"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeMacAddress(absl::string_view mac) {
  std::vector<absl::string_view> octets = absl::StrSplit(mac, ':');
  bool valid = octets.size() == 6;
  for (absl::string_view octet : octets) {
    valid = valid && octet.size() == 2 &&
            absl::ascii_isxdigit(static_cast<unsigned char>(octet[0])) &&
            absl::ascii_isxdigit(static_cast<unsigned char>(octet[1]));
  }
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid MAC address \"", mac, "\": write six hex octets, e.g. 52:54:00:12:34:56"));
  }
  std::string lower = absl::AsciiStrToLower(mac);
  int first = 0;
  absl::SimpleHexAtoi(lower.substr(0, 2), &first);
  if ((first & 1) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid MAC address \"", mac, "\": it is a multicast address"));
  }
  return lower;
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes >= kGibibyte && bytes % kGibibyte == 0) return absl::StrCat(bytes / kGibibyte, " GiB");
  if (bytes >= kMebibyte && bytes % kMebibyte == 0) return absl::StrCat(bytes / kMebibyte, " MiB");
  return absl::StrCat(bytes, " bytes");
}

std::string VmConfigPath(absl::string_view folder) {
  return absl::StrCat(folder, "/", kConfigFile);
}

std::string DiskPath(absl::string_view folder, absl::string_view disk) {
  return absl::StrCat(folder, "/", disk, ".qcow2");
}

absl::StatusOr<VmConfig> LoadVmConfig(absl::string_view folder) {
  const std::string path = VmConfigPath(folder);
  VPVM_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::DataLossError(absl::StrCat(path, " is not valid JSON"));
  VmConfig config;
  try {
    config = FromJson(parsed);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(path, " is damaged: ", e.what()));
  }
  if (absl::Status valid = CheckLoaded(config); !valid.ok()) {
    return absl::DataLossError(absl::StrCat(path, " is damaged: ", valid.message()));
  }
  return config;
}

absl::Status SaveVmConfig(absl::string_view folder, const VmConfig& config) {
  return WriteFileAtomically(VmConfigPath(folder), ToJson(config).dump(2) + "\n");
}

}  // namespace vpvm::daemon
