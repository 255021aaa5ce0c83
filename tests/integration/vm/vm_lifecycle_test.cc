// VmManager against real QEMU: creating and deleting VMs, their power operations with the state
// QEMU reports, suspend and restore, and reattaching to running VMs.

#include <filesystem>
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "daemon/qemu/qemu_img.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libauth/access.h"
#include "tests/integration/vm/vm_test_support.h"

namespace vpvm::daemon::testing {
namespace {

using qemu::StopMode;
using qemu::VmState;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string StateOf(const absl::StatusOr<VmInfo>& vm) {
  if (!vm.ok()) return std::string(vm.status().ToString());
  return std::string(qemu::VmStateName(vm->state));
}

TEST_F(VmManagerTest, QuickVmGetsTheDefaultsAndAStoppedState) {
  NewVm quick;
  quick.name = "quick";
  absl::StatusOr<VmInfo> vm = vms_->Create(quick);
  ASSERT_TRUE(vm.ok()) << vm.status();
  EXPECT_THAT(vm->config.id, MatchesRegex("vm_[a-z0-9]{12}"));
  EXPECT_EQ(vm->config.name, "quick");
  EXPECT_EQ(vm->config.cpus, 1);
  EXPECT_EQ(vm->config.memory_bytes, kGibibyte);
  ASSERT_EQ(vm->config.disks.size(), 1u);
  EXPECT_EQ(vm->config.disks[0].name, "disk0");
  EXPECT_EQ(vm->config.disks[0].size_bytes, 10 * kGibibyte);
  EXPECT_EQ(vm->state, VmState::kStopped);
  EXPECT_EQ(vm->accelerator, "");

  const std::string folder = FolderOf(vm->config.id);
  EXPECT_TRUE(std::filesystem::exists(folder + "/vm.json"));
  absl::StatusOr<qemu::ImageInfo> disk = qemu::QemuImg().Info(folder + "/disk0.qcow2");
  ASSERT_TRUE(disk.ok()) << disk.status();
  EXPECT_EQ(disk->format, "qcow2");
  EXPECT_EQ(disk->virtual_size, 10 * kGibibyte);
}

TEST_F(VmManagerTest, AnEmptyNameIsGenerated) {
  absl::StatusOr<VmInfo> vm = vms_->Create(Tiny(""));
  ASSERT_TRUE(vm.ok()) << vm.status();
  EXPECT_THAT(vm->config.name, MatchesRegex("vm-[a-z0-9]{6}"));
  EXPECT_EQ(vms_->Find(vm->config.name)->id, vm->config.id);
}

TEST_F(VmManagerTest, BadNamesAreRefusedAndNothingIsWritten) {
  const std::vector<std::string> bad = {
      "Web", "1web", "web-", "we_b", "vm_abcdefghijkl", "web.example", std::string(64, 'a')};
  for (const std::string& name : bad) {
    absl::StatusOr<VmInfo> vm = vms_->Create(Tiny(name));
    EXPECT_EQ(vm.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(vm.status().message()), HasSubstr("VM name")) << name;
  }
  EXPECT_TRUE(Files().empty());
  EXPECT_TRUE(vms_->List().empty());
}

TEST_F(VmManagerTest, BadHardwareIsRefused) {
  NewVm vm = Tiny("web");
  vm.memory_bytes = 64 * kMebibyte + 1;
  EXPECT_EQ(vms_->Create(vm).status().code(), absl::StatusCode::kInvalidArgument);
  vm = Tiny("web");
  vm.cpus = 256;
  EXPECT_EQ(vms_->Create(vm).status().code(), absl::StatusCode::kInvalidArgument);
  vm = Tiny("web", 1000);  // not a multiple of 512
  EXPECT_EQ(vms_->Create(vm).status().code(), absl::StatusCode::kInvalidArgument);
  vm = Tiny("web");
  vm.networks.push_back({"", "", ""});
  EXPECT_EQ(vms_->Create(vm).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Files().empty());
}

TEST_F(VmManagerTest, ADuplicateNameIsRefusedAndNothingIsWritten) {
  const std::string id = CreateTiny("web");
  const auto before = Files();
  absl::StatusOr<VmInfo> again = vms_->Create(Tiny("web", kMebibyte));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("\"web\""));
  EXPECT_EQ(Files(), before);
  ASSERT_EQ(vms_->List().size(), 1u);
  EXPECT_EQ(vms_->List()[0].config.id, id);
}

TEST_F(VmManagerTest, FindTakesAnIdOrANameAndExistsOnlyIds) {
  const std::string id = CreateTiny("web");
  EXPECT_EQ(vms_->Find(id), (auth::VmRef{id, "web"}));
  EXPECT_EQ(vms_->Find("web"), (auth::VmRef{id, "web"}));
  EXPECT_FALSE(vms_->Find("db").has_value());
  EXPECT_TRUE(vms_->Exists(id));
  EXPECT_FALSE(vms_->Exists("web"));
}

TEST_F(VmManagerTest, AnUnknownVmGetsTheGatesNotFoundAnswer) {
  for (const absl::Status& status :
       {vms_->Get("nope").status(), vms_->Start("nope").status(),
        vms_->Stop("nope", StopMode::kForced).status(), vms_->Delete("nope", true),
        vms_->AddDisk("nope", {"", kMebibyte}).status(), vms_->ListSnapshots("nope").status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(status.message(), auth::VmNotFoundMessage("nope"));
  }
}

TEST_F(VmManagerTest, PowerOperationsFollowTheStateQemuReports) {
  const std::string id = CreateTiny("web");

  absl::StatusOr<VmInfo> vm = vms_->Start("web");
  EXPECT_EQ(StateOf(vm), "running");
  ASSERT_TRUE(vm.ok());
  EXPECT_THAT(vm->accelerator, MatchesRegex("kvm|tcg"));
  const std::optional<pid_t> pid = QemuPid(id);
  ASSERT_TRUE(pid.has_value());

  absl::Status again = vms_->Start(id).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.message()), HasSubstr("running"));
  EXPECT_EQ(QemuPid(id), pid);

  EXPECT_EQ(StateOf(vms_->Pause(id)), "paused");
  EXPECT_EQ(vms_->Pause(id).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateOf(vms_->Resume(id)), "running");
  EXPECT_EQ(vms_->Resume(id).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateOf(vms_->Restart(id)), "running");
  EXPECT_EQ(QemuPid(id), pid);

  // No guest OS answers the power button: QEMU is quit after the one-second timeout.
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kGraceful)), "stopped");
  EXPECT_FALSE(QemuPid(id).has_value());
  EXPECT_EQ(vms_->Stop(id, StopMode::kGraceful).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Pause(id).status().code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(StateOf(vms_->Start(id)), "running");
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kForced)), "stopped");
  EXPECT_FALSE(QemuPid(id).has_value());
}

TEST_F(VmManagerTest, AGracefulStopQuitsQemuOnceTheRequestedTimeoutPassed) {
  const std::string id = CreateTiny("web");
  ASSERT_EQ(StateOf(vms_->Start(id)), "running");
  const absl::Time begun = absl::Now();
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kGraceful, absl::Milliseconds(300))), "stopped");
  EXPECT_LT(absl::Now() - begun, absl::Seconds(1) + absl::Milliseconds(900));
  EXPECT_FALSE(QemuPid(id).has_value());

  EXPECT_EQ(vms_->Stop(id, StopMode::kGraceful, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(VmManagerTest, SuspendSavesTheMachineAndStartRestoresIt) {
  const std::string id = CreateTiny("web", kMebibyte);
  ASSERT_EQ(StateOf(vms_->Start(id)), "running");
  ASSERT_EQ(StateOf(vms_->Pause(id)), "paused");

  EXPECT_EQ(StateOf(vms_->Suspend(id)), "suspended");
  EXPECT_FALSE(QemuPid(id).has_value());
  EXPECT_TRUE(std::filesystem::exists(FolderOf(id) + "/saved-state.vmstate"));

  // A suspended VM is neither edited nor snapshotted, and a graceful stop says what to do.
  const auto files = Files();
  VmEdit edit;
  edit.description = "changed";
  for (const absl::Status& refused :
       {vms_->Update(id, edit).status(), vms_->AddDisk(id, {"", kMebibyte}).status(),
        vms_->CreateSnapshot(id, "", "").status(),
        vms_->AttachNetwork(id, "default", "").status()}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("suspended"));
  }
  absl::Status stop = vms_->Stop(id, StopMode::kGraceful).status();
  EXPECT_EQ(stop.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stop.message()), HasSubstr("with force"));
  EXPECT_EQ(Files(), files);

  // The state survives the manager.
  vms_.reset();
  vms_ = OpenManager();
  EXPECT_EQ(StateOf(vms_->Get(id)), "suspended");

  // Restored from the saved state, the VM runs again (it was paused when saved).
  absl::StatusOr<VmInfo> restored = vms_->Start(id);
  EXPECT_THAT(StateOf(restored), MatchesRegex("running|paused"));
  EXPECT_TRUE(QemuPid(id).has_value());
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kForced)), "stopped");
}

TEST_F(VmManagerTest, AForcedStopDiscardsTheSavedStateOfASuspendedVm) {
  const std::string id = CreateTiny("web");
  ASSERT_EQ(StateOf(vms_->Start(id)), "running");
  ASSERT_EQ(StateOf(vms_->Suspend(id)), "suspended");
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kForced)), "stopped");
  EXPECT_EQ(StateOf(vms_->Start(id)), "running");
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kForced)), "stopped");
}

TEST_F(VmManagerTest, ANewManagerReattachesToRunningAndPausedVms) {
  const std::string running = CreateTiny("web");
  const std::string paused = CreateTiny("db");
  ASSERT_EQ(StateOf(vms_->Start(running)), "running");
  ASSERT_EQ(StateOf(vms_->Start(paused)), "running");
  ASSERT_EQ(StateOf(vms_->Pause(paused)), "paused");
  const std::optional<pid_t> pid = QemuPid(running);

  vms_.reset();  // as when vpvmd ends: the VMs keep running
  ASSERT_TRUE(QemuPid(running).has_value());
  vms_ = OpenManager();
  ASSERT_NE(vms_, nullptr);

  absl::StatusOr<VmInfo> web = vms_->Get("web");
  EXPECT_EQ(StateOf(web), "running");
  EXPECT_EQ(QemuPid(running), pid);
  EXPECT_EQ(StateOf(vms_->Get("db")), "paused");
  EXPECT_EQ(vms_->List().size(), 2u);

  EXPECT_EQ(StateOf(vms_->Resume(paused)), "running");
  EXPECT_EQ(StateOf(vms_->Stop(running, StopMode::kForced)), "stopped");
  EXPECT_EQ(StateOf(vms_->Stop(paused, StopMode::kForced)), "stopped");
}

TEST_F(VmManagerTest, DeletingARunningVmIsRefusedUnlessForced) {
  const std::string id = CreateTiny("web", kMebibyte);
  ASSERT_EQ(StateOf(vms_->Start(id)), "running");
  const std::optional<pid_t> pid = QemuPid(id);

  absl::Status refused = vms_->Delete("web", /*force=*/false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("stop it first"));
  EXPECT_EQ(QemuPid(id), pid);
  EXPECT_TRUE(std::filesystem::exists(FolderOf(id) + "/disk0.qcow2"));

  EXPECT_TRUE(vms_->Delete("web", /*force=*/true).ok());
  EXPECT_FALSE(std::filesystem::exists(FolderOf(id)));
  EXPECT_FALSE(vms_->Find("web").has_value());
  EXPECT_FALSE(vms_->Exists(id));
  EXPECT_TRUE(Files().empty());

  // The name is free again, for a VM with a new id.
  const std::string reused = CreateTiny("web");
  EXPECT_NE(reused, id);
}

TEST_F(VmManagerTest, DeletingAStoppedVmRemovesItsFolder) {
  const std::string id = CreateTiny("web", kMebibyte);
  EXPECT_TRUE(vms_->Delete(id, /*force=*/false).ok());
  EXPECT_FALSE(std::filesystem::exists(FolderOf(id)));
  vms_.reset();
  vms_ = OpenManager();
  EXPECT_TRUE(vms_->List().empty());
}

TEST_F(VmManagerTest, OneVmsSlowStopDoesNotBlockCallsAboutAnother) {
  const std::string slow = CreateTiny("slow");
  const std::string other = CreateTiny("other");
  ASSERT_EQ(StateOf(vms_->Start(slow)), "running");
  ASSERT_EQ(StateOf(vms_->Start(other)), "running");

  // Nothing powers the guest off: the stop waits the whole timeout.
  auto stopping = std::async(std::launch::async, [&] {
    return vms_->Stop(slow, StopMode::kGraceful, absl::Seconds(4)).status();
  });
  for (int i = 0; i < 200 && StateOf(vms_->Get(slow)) != "stopping"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Time begun = absl::Now();
  EXPECT_EQ(StateOf(vms_->Get(slow)), "stopping");
  EXPECT_EQ(StateOf(vms_->Pause(other)), "paused");
  EXPECT_EQ(StateOf(vms_->Resume(other)), "running");
  EXPECT_EQ(vms_->List().size(), 2u);
  EXPECT_LT(absl::Now() - begun, absl::Seconds(2));
  EXPECT_EQ(stopping.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  EXPECT_TRUE(stopping.get().ok());
  EXPECT_EQ(StateOf(vms_->Get(slow)), "stopped");
  EXPECT_EQ(StateOf(vms_->Stop(other, StopMode::kForced)), "stopped");
}

TEST_F(VmManagerTest, AForcedStopCutsAGracefulOneShort) {
  const std::string id = CreateTiny("web");
  ASSERT_EQ(StateOf(vms_->Start(id)), "running");
  const absl::Time begun = absl::Now();
  auto graceful = std::async(std::launch::async, [&] {
    return vms_->Stop(id, StopMode::kGraceful, absl::Seconds(30)).status();
  });
  for (int i = 0; i < 200 && StateOf(vms_->Get(id)) != "stopping"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(StateOf(vms_->Stop(id, StopMode::kForced)), "stopped");
  EXPECT_TRUE(graceful.get().ok());
  EXPECT_LT(absl::Now() - begun, absl::Seconds(15));
}

}  // namespace
}  // namespace vpvm::daemon::testing
