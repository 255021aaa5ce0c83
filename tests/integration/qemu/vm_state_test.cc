#include "daemon/qemu/vm_state.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace vpvm::qemu {
namespace {

// Every RunState of QEMU 7.2 (qapi/run-state.json) with the state vpvm shows for it.
const std::vector<std::pair<std::string, VmState>>& AllRunStates() {
  static const auto* const kAll = new std::vector<std::pair<std::string, VmState>>{
      {"debug", VmState::kPaused},         {"inmigrate", VmState::kStarting},
      {"internal-error", VmState::kError}, {"io-error", VmState::kError},
      {"paused", VmState::kPaused},        {"postmigrate", VmState::kPaused},
      {"prelaunch", VmState::kStarting},   {"finish-migrate", VmState::kStopping},
      {"restore-vm", VmState::kStarting},  {"running", VmState::kRunning},
      {"save-vm", VmState::kPaused},       {"shutdown", VmState::kStopping},
      {"suspended", VmState::kSuspended},  {"watchdog", VmState::kError},
      {"guest-panicked", VmState::kError}, {"colo", VmState::kRunning},
  };
  return *kAll;
}

TEST(VmStateFromRunStateTest, MapsEveryQemuRunState) {
  ASSERT_EQ(AllRunStates().size(), 16u) << "QEMU 7.2 has 16 run states";
  for (const auto& [run_state, expected] : AllRunStates()) {
    EXPECT_EQ(VmStateFromRunState(run_state), expected)
        << run_state << " maps to " << VmStateName(VmStateFromRunState(run_state)) << ", expected "
        << VmStateName(expected);
  }
}

TEST(VmStateFromRunStateTest, UnknownRunStateIsError) {
  EXPECT_EQ(VmStateFromRunState(""), VmState::kError);
  EXPECT_EQ(VmStateFromRunState("Running"), VmState::kError);
  EXPECT_EQ(VmStateFromRunState("some-future-state"), VmState::kError);
}

TEST(VmStateNameTest, NamesAreDistinctAndLowerCase) {
  std::set<std::string> names;
  for (VmState state : {VmState::kStopped, VmState::kStarting, VmState::kRunning, VmState::kPaused,
                        VmState::kSuspended, VmState::kStopping, VmState::kError}) {
    std::string name(VmStateName(state));
    EXPECT_FALSE(name.empty());
    for (char c : name) EXPECT_TRUE(c >= 'a' && c <= 'z') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 7u);
}

}  // namespace
}  // namespace vpvm::qemu
