#include "tests/integration/vm/vm_test_support.h"

#include <stdlib.h>

#include <filesystem>

#include "daemon/qemu/internal/process.h"
#include "daemon/qemu/internal/subprocess.h"

namespace vpvm::daemon::testing {

VmManagerTest::VmManagerTest() { vms_ = OpenManager(); }

void VmManagerTest::TearDown() {
  if (vms_ == nullptr) return;
  for (const VmInfo& vm : vms_->List()) {
    if (QemuPid(vm.config.id).has_value()) {
      vms_->Stop(vm.config.id, qemu::StopMode::kForced).IgnoreError();
    }
  }
}

VmManager::Options VmManagerTest::Options() {
  VmManager::Options options;
  options.folder = VmsFolder();
  options.stop_timeout = absl::Seconds(1);
  // VPVM_TEST_ACCEL=tcg runs the suite without KVM on a host that has it.
  if (const char* accel = getenv("VPVM_TEST_ACCEL"); accel && std::string(accel) == "tcg") {
    options.accelerator = qemu::Accelerator::kTcg;
  }
  options.on_rename = [this](absl::string_view id, absl::string_view name) {
    renames_.emplace_back(std::string(id), std::string(name));
    return absl::OkStatus();
  };
  return options;
}

std::unique_ptr<VmManager> VmManagerTest::OpenManager() {
  absl::StatusOr<std::unique_ptr<VmManager>> opened = VmManager::Open(Options(), random_, clock_);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

NewVm VmManagerTest::Tiny(const std::string& name, uint64_t disk_bytes) {
  NewVm vm;
  vm.name = name;
  vm.memory_bytes = 64 * kMebibyte;
  vm.disks.emplace();
  if (disk_bytes > 0) vm.disks->push_back({"", disk_bytes});
  return vm;
}

std::string VmManagerTest::CreateTiny(const std::string& name, uint64_t disk_bytes) {
  absl::StatusOr<VmInfo> created = vms_->Create(Tiny(name, disk_bytes));
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? created->config.id : "";
}

std::map<std::string, std::string> VmManagerTest::Files() const {
  std::map<std::string, std::string> files;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(VmsFolder(), error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file()) {
      files[it->path().string()] = qemu::testing::ReadFile(it->path().string());
    }
  }
  return files;
}

std::optional<pid_t> VmManagerTest::QemuPid(const std::string& id) const {
  absl::StatusOr<pid_t> pid = qemu::internal::ReadPidFile(FolderOf(id) + "/qemu.pid");
  if (!pid.ok() || !qemu::internal::ProcessAlive(*pid)) return std::nullopt;
  return *pid;
}

void VmManagerTest::WritePattern(const std::string& image, int pattern) {
  absl::StatusOr<qemu::internal::CommandResult> written = qemu::internal::RunCommand(
      {"qemu-io", "-f", "qcow2", "-c", "write -P " + std::to_string(pattern) + " 0 4k", image},
      absl::Seconds(30));
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE(written->ok()) << written->std_err;
}

bool VmManagerTest::HasPattern(const std::string& image, int pattern) {
  absl::StatusOr<qemu::internal::CommandResult> read = qemu::internal::RunCommand(
      {"qemu-io", "-f", "qcow2", "-c", "read -P " + std::to_string(pattern) + " 0 4k", image},
      absl::Seconds(30));
  return read.ok() && read->ok() &&
         read->std_out.find("Pattern verification failed") == std::string::npos;
}

}  // namespace vpvm::daemon::testing
