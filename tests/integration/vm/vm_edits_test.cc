// VmManager's edits against real qemu-img and QEMU: configuration and renames, disks, network
// attachments, snapshots, and the refusals that leave a VM's files as they were.

#include <filesystem>
#include <fstream>

#include "daemon/qemu/qemu_img.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/vm/vm_test_support.h"

namespace vpvm::daemon::testing {
namespace {

using qemu::StopMode;
using qemu::VmState;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

std::string Names(const std::vector<SnapshotRecord>& snapshots) {
  std::string out;
  for (const SnapshotRecord& s : snapshots) out += (out.empty() ? "" : ",") + s.name;
  return out;
}

class VmEditsTest : public VmManagerTest {
 protected:
  std::string DiskOf(const std::string& id, const std::string& disk) {
    return FolderOf(id) + "/" + disk + ".qcow2";
  }
  uint64_t VirtualSize(const std::string& image) {
    absl::StatusOr<qemu::ImageInfo> info = qemu::QemuImg().Info(image);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->virtual_size : 0;
  }
};

// ---------------------------------------------------------------------------------------------
// Configuration

TEST_F(VmEditsTest, RenameMovesTheNameAndTellsTheHook) {
  const std::string id = CreateTiny("old");
  VmEdit edit;
  edit.name = "new";
  absl::StatusOr<VmInfo> renamed = vms_->Update("old", edit);
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->config.name, "new");
  EXPECT_EQ(renamed->config.id, id);
  EXPECT_EQ(vms_->Find("new")->id, id);
  EXPECT_FALSE(vms_->Find("old").has_value());
  EXPECT_THAT(renames_, ElementsAre(std::make_pair(id, std::string("new"))));

  // The old name is free, and the new one is stored.
  EXPECT_NE(CreateTiny("old"), "");
  vms_.reset();
  vms_ = OpenManager();
  EXPECT_EQ(vms_->Find("new")->id, id);
}

TEST_F(VmEditsTest, RenamingToATakenNameIsRefusedAndChangesNothing) {
  const std::string id = CreateTiny("web");
  CreateTiny("db");
  const auto before = Files();
  VmEdit edit;
  edit.name = "db";
  edit.description = "would be lost";
  absl::Status refused = vms_->Update(id, edit).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("\"db\""));
  EXPECT_EQ(Files(), before);
  EXPECT_EQ(vms_->Get(id)->config.description, "");
  EXPECT_TRUE(renames_.empty());

  edit.name = "Bad_Name";
  EXPECT_EQ(vms_->Update(id, edit).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Files(), before);
}

TEST_F(VmEditsTest, HardwareAndNamesChangeOnlyWhileStopped) {
  const std::string id = CreateTiny("web");
  ASSERT_TRUE(vms_->Start(id).ok());
  const auto before = Files();

  VmEdit cpus;
  cpus.cpus = 2;
  VmEdit rename;
  rename.name = "other";
  for (const absl::Status& refused :
       {vms_->Update(id, cpus).status(), vms_->Update(id, rename).status(),
        vms_->AddDisk(id, {"data", kMebibyte}).status(),
        vms_->AttachNetwork(id, "default", "").status(),
        vms_->CreateSnapshot(id, "s", "").status()}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("is running; stop it before you"));
  }
  EXPECT_FALSE(std::filesystem::exists(DiskOf(id, "data")));

  // The description may change at any time but while suspended.
  VmEdit described;
  described.description = "web server";
  absl::StatusOr<VmInfo> updated = vms_->Update(id, described);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->config.description, "web server");
  EXPECT_EQ(updated->state, VmState::kRunning);

  ASSERT_TRUE(vms_->Stop(id, StopMode::kForced).ok());
  cpus.memory_bytes = 128 * kMebibyte;
  updated = vms_->Update(id, cpus);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->config.cpus, 2);
  EXPECT_EQ(updated->config.memory_bytes, 128 * kMebibyte);

  // QEMU starts with the new hardware.
  ASSERT_TRUE(vms_->Start(id).ok());
  EXPECT_EQ(vms_->Get(id)->state, VmState::kRunning);
  EXPECT_TRUE(vms_->Stop(id, StopMode::kForced).ok());
}

// ---------------------------------------------------------------------------------------------
// Disks

TEST_F(VmEditsTest, DisksAreAddedGrownAndRemoved) {
  const std::string id = CreateTiny("web");
  absl::StatusOr<DiskConfig> named = vms_->AddDisk(id, {"data", 2 * kMebibyte});
  ASSERT_TRUE(named.ok()) << named.status();
  absl::StatusOr<DiskConfig> generated = vms_->AddDisk(id, {"", kMebibyte});
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->name, "disk0");
  EXPECT_EQ(VirtualSize(DiskOf(id, "data")), 2 * kMebibyte);
  EXPECT_EQ(vms_->AddDisk(id, {"data", kMebibyte}).status().code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<DiskConfig> grown = vms_->ResizeDisk(id, "data", 4 * kMebibyte);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->size_bytes, 4 * kMebibyte);
  EXPECT_EQ(VirtualSize(DiskOf(id, "data")), 4 * kMebibyte);

  // The VM boots with both disks.
  ASSERT_TRUE(vms_->Start(id).ok());
  ASSERT_TRUE(vms_->Stop(id, StopMode::kForced).ok());

  EXPECT_TRUE(vms_->RemoveDisk(id, "disk0").ok());
  EXPECT_FALSE(std::filesystem::exists(DiskOf(id, "disk0")));
  EXPECT_THAT(vms_->Get(id)->config.disks, ElementsAre(Field(&DiskConfig::name, "data")));
  EXPECT_EQ(vms_->RemoveDisk(id, "disk0").code(), absl::StatusCode::kNotFound);

  vms_.reset();
  vms_ = OpenManager();
  ASSERT_EQ(vms_->Get(id)->config.disks.size(), 1u);
  EXPECT_EQ(vms_->Get(id)->config.disks[0].size_bytes, 4 * kMebibyte);
}

TEST_F(VmEditsTest, ShrinkingADiskIsRefusedAndLeavesItsFileAsItWas) {
  const std::string id = CreateTiny("web", 2 * kMebibyte);
  WritePattern(DiskOf(id, "disk0"), 0x5a);
  const auto before = Files();

  absl::Status refused = vms_->ResizeDisk(id, "disk0", kMebibyte).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("never shrink"));
  EXPECT_EQ(vms_->ResizeDisk(id, "nope", 4 * kMebibyte).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(vms_->ResizeDisk(id, "disk0", 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Files(), before);
  EXPECT_EQ(VirtualSize(DiskOf(id, "disk0")), 2 * kMebibyte);
  EXPECT_TRUE(HasPattern(DiskOf(id, "disk0"), 0x5a));
}

// ---------------------------------------------------------------------------------------------
// Network attachments

TEST_F(VmEditsTest, NetworkAttachmentsAreRecordedWithTheirMacAddresses) {
  const std::string id = CreateTiny("web");
  absl::StatusOr<NetworkAttachmentConfig> generated = vms_->AttachNetwork(id, "default", "");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->name, "net0");
  EXPECT_EQ(generated->network, "default");
  EXPECT_THAT(generated->mac_address, MatchesRegex("52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}"));

  absl::StatusOr<NetworkAttachmentConfig> chosen =
      vms_->AttachNetwork(id, "lab", "52:54:00:AB:CD:EF");
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(chosen->name, "net1");
  EXPECT_EQ(chosen->mac_address, "52:54:00:ab:cd:ef");

  EXPECT_EQ(vms_->AttachNetwork(id, "lab", "52:54:00:ab:cd:ef").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(vms_->AttachNetwork(id, "", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(vms_->AttachNetwork(id, "lab", "01:00:5e:00:00:01").status().code(),
            absl::StatusCode::kInvalidArgument);  // multicast
  EXPECT_EQ(vms_->AttachNetwork(id, "lab", "not-a-mac").status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(vms_->DetachNetwork(id, "net0").ok());
  EXPECT_EQ(vms_->DetachNetwork(id, "net0").code(), absl::StatusCode::kNotFound);
  vms_.reset();
  vms_ = OpenManager();
  absl::StatusOr<VmInfo> vm = vms_->Get(id);
  ASSERT_EQ(vm->config.networks.size(), 1u);
  EXPECT_EQ(vm->config.networks[0].name, "net1");
  EXPECT_EQ(vm->config.networks[0].mac_address, "52:54:00:ab:cd:ef");

  // Recorded only: the VM still starts without host networks.
  ASSERT_TRUE(vms_->Start(id).ok());
  EXPECT_TRUE(vms_->Stop(id, StopMode::kForced).ok());
}

// ---------------------------------------------------------------------------------------------
// Snapshots

TEST_F(VmEditsTest, SnapshotsAreTakenListedRestoredAndDeleted) {
  const std::string id = CreateTiny("web", kMebibyte);
  ASSERT_TRUE(vms_->AddDisk(id, {"data", kMebibyte}).ok());
  WritePattern(DiskOf(id, "disk0"), 0x11);
  WritePattern(DiskOf(id, "data"), 0x22);

  absl::StatusOr<SnapshotRecord> base = vms_->CreateSnapshot(id, "base", "clean install");
  ASSERT_TRUE(base.ok()) << base.status();
  absl::StatusOr<SnapshotRecord> generated = vms_->CreateSnapshot(id, "", "");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->name, "snap0");
  EXPECT_EQ(Names(*vms_->ListSnapshots(id)), "base,snap0");
  EXPECT_EQ(vms_->ListSnapshots(id)->front().description, "clean install");
  for (const char* disk : {"disk0", "data"}) {
    absl::StatusOr<std::vector<qemu::ImageSnapshot>> held =
        qemu::QemuImg().ListSnapshots(DiskOf(id, disk));
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(held->size(), 2u) << disk;
  }

  WritePattern(DiskOf(id, "disk0"), 0x33);
  WritePattern(DiskOf(id, "data"), 0x44);
  absl::StatusOr<VmInfo> restored = vms_->RestoreSnapshot(id, "base");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(HasPattern(DiskOf(id, "disk0"), 0x11));
  EXPECT_TRUE(HasPattern(DiskOf(id, "data"), 0x22));

  EXPECT_TRUE(vms_->DeleteSnapshot(id, "base").ok());
  EXPECT_EQ(Names(*vms_->ListSnapshots(id)), "snap0");
  EXPECT_EQ(qemu::QemuImg().ListSnapshots(DiskOf(id, "disk0"))->size(), 1u);
  EXPECT_EQ(vms_->DeleteSnapshot(id, "base").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(vms_->RestoreSnapshot(id, "base").status().code(), absl::StatusCode::kNotFound);

  vms_.reset();
  vms_ = OpenManager();
  EXPECT_EQ(Names(*vms_->ListSnapshots(id)), "snap0");
}

TEST_F(VmEditsTest, BadSnapshotRequestsAreRefusedAndChangeNothing) {
  const std::string diskless = CreateTiny("bare");
  absl::Status no_disk = vms_->CreateSnapshot(diskless, "", "").status();
  EXPECT_EQ(no_disk.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(no_disk.message()), HasSubstr("no disk"));

  const std::string id = CreateTiny("web", kMebibyte);
  ASSERT_TRUE(vms_->CreateSnapshot(id, "base", "").ok());
  const auto before = Files();
  EXPECT_EQ(vms_->CreateSnapshot(id, "base", "").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(vms_->CreateSnapshot(id, "123", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(vms_->CreateSnapshot(id, "a/b", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Files(), before);

  // Restoring (or snapshotting) a running VM is refused and leaves its disk alone.
  ASSERT_TRUE(vms_->Start(id).ok());
  absl::Status running = vms_->RestoreSnapshot(id, "base").status();
  EXPECT_EQ(running.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(running.message()), HasSubstr("stop it"));
  EXPECT_EQ(vms_->DeleteSnapshot(id, "base").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Get(id)->state, VmState::kRunning);
  ASSERT_TRUE(vms_->Stop(id, StopMode::kForced).ok());
  EXPECT_EQ(Names(*vms_->ListSnapshots(id)), "base");
  EXPECT_EQ(qemu::QemuImg().ListSnapshots(DiskOf(id, "disk0"))->size(), 1u);
}

TEST_F(VmEditsTest, ASnapshotThatMissesADiskAddedLaterIsNotRestored) {
  const std::string id = CreateTiny("web", kMebibyte);
  ASSERT_TRUE(vms_->CreateSnapshot(id, "base", "").ok());
  ASSERT_TRUE(vms_->AddDisk(id, {"data", kMebibyte}).ok());
  WritePattern(DiskOf(id, "disk0"), 0x66);

  absl::Status refused = vms_->RestoreSnapshot(id, "base").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("\"data\""));
  EXPECT_TRUE(HasPattern(DiskOf(id, "disk0"), 0x66));

  // Deleting it works: the disk that never held it is skipped.
  EXPECT_TRUE(vms_->DeleteSnapshot(id, "base").ok());
  EXPECT_THAT(*vms_->ListSnapshots(id), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Loading

TEST_F(VmEditsTest, OpeningWritesNoRecordAndSkipsDamagedOnes) {
  const std::string id = CreateTiny("web", kMebibyte);
  std::filesystem::create_directories(FolderOf("vm_damaged0000"));
  std::ofstream(FolderOf("vm_damaged0000") + "/vm.json") << "{ not json";
  vms_.reset();
  const auto before = Files();
  const auto stamp = std::filesystem::last_write_time(FolderOf(id) + "/vm.json");

  vms_ = OpenManager();
  ASSERT_NE(vms_, nullptr);
  ASSERT_EQ(vms_->List().size(), 1u);
  EXPECT_EQ(vms_->List()[0].config.id, id);
  EXPECT_FALSE(vms_->Exists("vm_damaged0000"));
  EXPECT_EQ(Files(), before);
  EXPECT_EQ(std::filesystem::last_write_time(FolderOf(id) + "/vm.json"), stamp);
}

}  // namespace
}  // namespace vpvm::daemon::testing
