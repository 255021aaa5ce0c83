#include "tests/integration/qemu/test_support.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/qemu/internal/process.h"
#include "gtest/gtest.h"

namespace vpvm::qemu::testing {

ScratchFolder::ScratchFolder() {
  char name[] = "/tmp/vpvm-q-XXXXXX";
  if (mkdtemp(name) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = name;
}

ScratchFolder::~ScratchFolder() {
  int killed = KillQemusUnder(path_);
  EXPECT_EQ(killed, 0) << "a test left " << killed << " QEMU process(es) running under " << path_;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchFolder::Join(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

int KillQemusUnder(const std::string& folder) {
  int killed = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() != "qemu.pid") continue;
    absl::StatusOr<pid_t> pid = internal::ReadPidFile(it->path().string());
    if (!pid.ok() || !internal::ProcessAlive(*pid)) continue;
    // Only a QEMU of this folder, never a process that reuses a stale pid.
    bool ours = false;
    for (const std::string& arg : internal::ProcessCommandLine(*pid)) {
      ours = ours || absl::StrContains(arg, folder);
    }
    if (!ours) continue;
    absl::StatusOr<std::unique_ptr<internal::Process>> process = internal::Process::Open(*pid);
    if (!process.ok()) continue;
    (*process)->Signal(SIGKILL).IgnoreError();
    (*process)->WaitForExit(absl::Seconds(10));
    ++killed;
  }
  return killed;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace vpvm::qemu::testing
