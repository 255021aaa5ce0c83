#pragma once

// The fixture of the VM manager's integration tests: a manager on a scratch folder under /tmp
// (short QMP socket paths), tiny VMs (64 MiB, no NIC, a disk only when asked for) and a
// graceful-stop timeout of one second.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/vm_manager.h"
#include "gtest/gtest.h"
#include "libauth/clock.h"
#include "libauth/random.h"
#include "tests/integration/qemu/test_support.h"

namespace vpvm::daemon::testing {

class VmManagerTest : public ::testing::Test {
 protected:
  VmManagerTest();
  // Ends the QEMUs a test left running, through the manager.
  void TearDown() override;

  VmManager::Options Options();
  // A manager on the scratch folder; fails the test when it cannot open.
  std::unique_ptr<VmManager> OpenManager();

  // 64 MiB, no disk (or one of `disk_bytes`), no NIC.
  static NewVm Tiny(const std::string& name, uint64_t disk_bytes = 0);
  // Creates a tiny VM and returns its id.
  std::string CreateTiny(const std::string& name, uint64_t disk_bytes = 0);

  std::string VmsFolder() const { return folder_.Join("vms"); }
  std::string FolderOf(const std::string& id) const { return VmsFolder() + "/" + id; }
  // Every file under the VM folder, with its contents.
  std::map<std::string, std::string> Files() const;

  // The QEMU process in the VM's pid file, when it lives.
  std::optional<pid_t> QemuPid(const std::string& id) const;

  // Writes `pattern` into the first 4 KiB of a qcow2 image, or checks that it is there.
  static void WritePattern(const std::string& image, int pattern);
  static bool HasPattern(const std::string& image, int pattern);

  qemu::testing::ScratchFolder folder_;  // first member: destroyed last, ending stray QEMUs
  auth::OsRandom random_;
  auth::SystemClock clock_;
  std::vector<std::pair<std::string, std::string>> renames_;
  std::unique_ptr<VmManager> vms_;
};

}  // namespace vpvm::daemon::testing
