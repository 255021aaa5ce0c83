#include "daemon/qemu/qemu_machine.h"

#include <signal.h>
#include <stdlib.h>

#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/qemu/internal/files.h"
#include "daemon/qemu/internal/process.h"
#include "daemon/qemu/internal/subprocess.h"
#include "daemon/qemu/qemu_img.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/qemu/test_support.h"

namespace vpvm::qemu {
namespace {

using ::testing::HasSubstr;
using Transition = std::pair<VmState, VmState>;

// Records the state-change callbacks of a machine and lets a test wait for one.
class StateLog {
 public:
  QemuMachine::StateCallback Callback() {
    return [this](absl::string_view, VmState from, VmState to) {
      std::lock_guard lock(mu_);
      transitions_.emplace_back(from, to);
      cv_.notify_all();
    };
  }

  std::vector<Transition> transitions() {
    std::lock_guard lock(mu_);
    return transitions_;
  }

  // True once a change into `state` was reported.
  bool WaitFor(VmState state, absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      for (const Transition& t : transitions_) {
        if (t.second == state) return true;
      }
      return false;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Transition> transitions_;
};

std::string Name(VmState state) { return std::string(VmStateName(state)); }

class QemuMachineTest : public ::testing::Test {
 protected:
  QemuMachineSpec Spec(const std::string& name = "vm") {
    QemuMachineSpec spec;
    spec.id = "id-" + name;
    spec.name = name;
    spec.folder = folder_.Join(name);
    spec.memory_bytes = 64 * kMiB;
    spec.graceful_stop_timeout = absl::Seconds(1);
    // VPVM_TEST_ACCEL=tcg runs the suite without KVM on a host that has it.
    if (const char* accel = getenv("VPVM_TEST_ACCEL"); accel && std::string(accel) == "tcg") {
      spec.accelerator = Accelerator::kTcg;
    }
    return spec;
  }

  std::unique_ptr<QemuMachine> Open(const QemuMachineSpec& spec, StateLog* log = nullptr) {
    absl::StatusOr<std::unique_ptr<QemuMachine>> machine =
        QemuMachine::Open(spec, log ? log->Callback() : QemuMachine::StateCallback());
    EXPECT_TRUE(machine.ok()) << machine.status();
    return machine.ok() ? std::move(*machine) : nullptr;
  }

  // The machine's state and QEMU's own answer, e.g. "running/running".
  static std::string Observed(QemuMachine& machine) {
    absl::StatusOr<std::string> run_state = machine.QueryRunState();
    return Name(machine.state()) + "/" + (run_state.ok() ? *run_state : "no-process");
  }

  testing::ScratchFolder folder_;  // first member: destroyed last, ending stray QEMUs
  StateLog log_;
};

TEST_F(QemuMachineTest, StartRunsTheVmAsQemuReports) {
  std::unique_ptr<QemuMachine> vm = Open(Spec(), &log_);
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->state(), VmState::kStopped);
  EXPECT_FALSE(vm->pid().has_value());

  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(Observed(*vm), "running/running");
  ASSERT_TRUE(vm->pid().has_value());
  EXPECT_TRUE(internal::ProcessAlive(*vm->pid()));
  Accelerator expected = ResolveAccelerator(Spec().accelerator);
  EXPECT_EQ(vm->accelerator(), expected);
  EXPECT_EQ((*vm->ExecuteQmp("query-kvm"))["enabled"], expected == Accelerator::kKvm);
  EXPECT_EQ(log_.transitions(), (std::vector<Transition>{
                                    {VmState::kStopped, VmState::kStarting},
                                    {VmState::kStarting, VmState::kRunning},
                                }));
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, TcgCanBeChosenExplicitly) {
  QemuMachineSpec spec = Spec();
  spec.accelerator = Accelerator::kTcg;
  std::unique_ptr<QemuMachine> vm = Open(spec);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(vm->accelerator(), Accelerator::kTcg);
  EXPECT_EQ((*vm->ExecuteQmp("query-kvm"))["enabled"], false);
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, PauseAndResumeFollowQemu) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();

  ASSERT_TRUE(vm->Pause().ok());
  EXPECT_EQ(Observed(*vm), "paused/paused");
  ASSERT_TRUE(vm->Resume().ok());
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, RestartKeepsTheVmRunning) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();
  ASSERT_TRUE(vm->Restart().ok());
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_EQ(vm->pid(), pid) << "a reset must not replace the process";
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, GracefulStopWithoutGuestTimesOutThenForces) {
  std::unique_ptr<QemuMachine> vm = Open(Spec(), &log_);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();

  absl::Time started = absl::Now();
  ASSERT_TRUE(vm->Stop(StopMode::kGraceful).ok()) << vm->last_error();
  absl::Duration took = absl::Now() - started;

  EXPECT_GE(took, absl::Seconds(1)) << "no guest answers a power-down: the timeout must pass";
  EXPECT_LT(took, absl::Seconds(8));
  EXPECT_EQ(vm->state(), VmState::kStopped);
  EXPECT_FALSE(internal::ProcessAlive(pid));
  EXPECT_FALSE(internal::FileExists(vm->paths().pid_file));
  EXPECT_FALSE(internal::FileExists(vm->paths().qmp_socket));
  std::vector<Transition> transitions = log_.transitions();
  ASSERT_GE(transitions.size(), 2u);
  EXPECT_EQ(transitions[transitions.size() - 2], Transition(VmState::kRunning, VmState::kStopping));
  EXPECT_EQ(transitions.back(), Transition(VmState::kStopping, VmState::kStopped));
}

TEST_F(QemuMachineTest, ForcedStopEndsTheProcess) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();
  ASSERT_TRUE(vm->Stop(StopMode::kForced).ok());
  EXPECT_EQ(vm->state(), VmState::kStopped);
  EXPECT_FALSE(internal::ProcessAlive(pid));
  EXPECT_EQ(vm->last_error(), "");
}

TEST_F(QemuMachineTest, ForcedStopCutsShortAGracefulStopUnderWay) {
  QemuMachineSpec spec = Spec();
  spec.graceful_stop_timeout = absl::Seconds(60);
  std::unique_ptr<QemuMachine> vm = Open(spec, &log_);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();

  absl::Time started = absl::Now();
  auto graceful = std::async(std::launch::async, [&] { return vm->Stop(StopMode::kGraceful); });
  ASSERT_TRUE(log_.WaitFor(VmState::kStopping, absl::Seconds(10)));
  EXPECT_EQ(vm->Pause().code(), absl::StatusCode::kFailedPrecondition) << "busy stopping";
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
  EXPECT_TRUE(graceful.get().ok());
  EXPECT_LT(absl::Now() - started, absl::Seconds(20));
  EXPECT_EQ(vm->state(), VmState::kStopped);
}

TEST_F(QemuMachineTest, RefusedOperationsSayWhyAndChangeNothing) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  for (absl::Status status : {vm->Pause(), vm->Resume(), vm->Restart(), vm->Suspend(),
                              vm->Stop(StopMode::kGraceful), vm->DiscardSavedState()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  }
  EXPECT_EQ(vm->QueryRunState().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vm->state(), VmState::kStopped);

  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();
  absl::Status again = vm->Start();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.message()), HasSubstr("cannot start VM 'vm': it is running"));
  EXPECT_EQ(vm->Resume().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_EQ(vm->pid(), pid);

  ASSERT_TRUE(vm->Pause().ok());
  absl::Status pause_again = vm->Pause();
  EXPECT_THAT(std::string(pause_again.message()), HasSubstr("it is paused"));
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, SuspendSavesTheStateAndStartRestoresIt) {
  std::unique_ptr<QemuMachine> vm = Open(Spec(), &log_);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();

  ASSERT_TRUE(vm->Suspend().ok()) << vm->last_error();
  EXPECT_EQ(vm->state(), VmState::kSuspended);
  EXPECT_TRUE(vm->has_saved_state());
  EXPECT_FALSE(internal::ProcessAlive(pid));
  EXPECT_FALSE(vm->pid().has_value());
  EXPECT_GT(testing::ReadFile(vm->paths().saved_state).size(), 100'000u);
  EXPECT_FALSE(internal::FileExists(vm->paths().saved_state_partial));
  EXPECT_EQ(vm->Stop(StopMode::kForced).code(), absl::StatusCode::kFailedPrecondition)
      << "stopping would throw the saved state away";

  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_FALSE(vm->has_saved_state());
  EXPECT_FALSE(internal::FileExists(vm->paths().saved_state)) << "restored state is deleted";
  std::vector<Transition> transitions = log_.transitions();
  EXPECT_NE(std::find(transitions.begin(), transitions.end(),
                      Transition(VmState::kStopping, VmState::kSuspended)),
            transitions.end());
  EXPECT_NE(std::find(transitions.begin(), transitions.end(),
                      Transition(VmState::kSuspended, VmState::kStarting)),
            transitions.end());
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, PausedVmSuspendsAndComesBackRunning) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  ASSERT_TRUE(vm->Pause().ok());
  ASSERT_TRUE(vm->Suspend().ok()) << vm->last_error();
  EXPECT_EQ(vm->state(), VmState::kSuspended);
  vm.reset();

  // A new object (a restarted daemon) finds the saved state and restores from it.
  std::unique_ptr<QemuMachine> reopened = Open(Spec());
  EXPECT_EQ(reopened->state(), VmState::kSuspended);
  ASSERT_TRUE(reopened->Start().ok()) << reopened->last_error();
  EXPECT_EQ(Observed(*reopened), "running/running");
  EXPECT_TRUE(reopened->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, DiscardingTheSavedStateLeavesAStoppedVm) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  ASSERT_TRUE(vm->Suspend().ok()) << vm->last_error();
  ASSERT_TRUE(vm->DiscardSavedState().ok());
  EXPECT_EQ(vm->state(), VmState::kStopped);
  EXPECT_FALSE(internal::FileExists(vm->paths().saved_state));
}

TEST_F(QemuMachineTest, CorruptSavedStateFailsToStartAndIsKept) {
  std::unique_ptr<QemuMachine> vm = Open(Spec());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  ASSERT_TRUE(vm->Suspend().ok()) << vm->last_error();
  std::ofstream(vm->paths().saved_state, std::ios::trunc) << "not a machine state";

  absl::Status started = vm->Start();
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("restoring the saved state of VM 'vm'"));
  EXPECT_EQ(vm->state(), VmState::kSuspended);
  EXPECT_FALSE(vm->pid().has_value());
  EXPECT_EQ(testing::ReadFile(vm->paths().saved_state), "not a machine state");

  ASSERT_TRUE(vm->DiscardSavedState().ok());
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, QuitThroughQmpIsAStopNotACrash) {
  std::unique_ptr<QemuMachine> vm = Open(Spec(), &log_);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  vm->ExecuteQmp("quit").IgnoreError();
  ASSERT_TRUE(log_.WaitFor(VmState::kStopped, absl::Seconds(10)));
  EXPECT_EQ(vm->state(), VmState::kStopped);
  EXPECT_EQ(vm->last_error(), "");
}

TEST_F(QemuMachineTest, ReopenedMachineAttachesAndReportsTheTrueState) {
  std::unique_ptr<QemuMachine> first = Open(Spec());
  ASSERT_TRUE(first->Start().ok()) << first->last_error();
  ASSERT_TRUE(first->Pause().ok());
  pid_t pid = *first->pid();
  first.reset();  // detaches; the VM keeps running
  ASSERT_TRUE(internal::ProcessAlive(pid));

  std::unique_ptr<QemuMachine> second = Open(Spec(), &log_);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->pid(), pid);
  EXPECT_EQ(Observed(*second), "paused/paused");
  ASSERT_TRUE(second->Resume().ok());
  EXPECT_EQ(Observed(*second), "running/running");
  EXPECT_TRUE(second->Stop(StopMode::kForced).ok());
  EXPECT_FALSE(internal::ProcessAlive(pid));
}

TEST_F(QemuMachineTest, VmSurvivesAKilledDaemonAndIsReattached) {
  QemuMachineSpec spec = Spec("orphan");
  absl::StatusOr<internal::CommandResult> helper =
      internal::RunCommand({VPVM_VM_HELPER, spec.folder, spec.id, spec.name}, absl::Seconds(60));
  ASSERT_TRUE(helper.ok()) << helper.status();
  ASSERT_EQ(helper->term_signal, SIGKILL) << helper->std_err;
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripPrefix(absl::StripAsciiWhitespace(helper->std_out), "paused "), &pid))
      << helper->std_out;
  ASSERT_TRUE(internal::ProcessAlive(pid));

  std::unique_ptr<QemuMachine> vm = Open(spec);
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->pid(), pid);
  EXPECT_EQ(Observed(*vm), "paused/paused");
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, StaleFilesOfAnEndedProcessAreCleanedOnOpen) {
  QemuMachineSpec spec = Spec();
  std::unique_ptr<QemuMachine> vm = Open(spec);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();
  vm.reset();
  // The VM dies while nobody watches it; its pid file stays behind.
  ASSERT_TRUE((*internal::Process::Open(pid))->Signal(SIGKILL).ok());
  ASSERT_TRUE((*internal::Process::Open(pid))->WaitForExit(absl::Seconds(10)) ||
              !internal::ProcessAlive(pid));
  ASSERT_TRUE(internal::FileExists(PathsOf(spec).pid_file));

  std::unique_ptr<QemuMachine> reopened = Open(spec);
  EXPECT_EQ(reopened->state(), VmState::kStopped);
  EXPECT_FALSE(internal::FileExists(PathsOf(spec).pid_file));
  ASSERT_TRUE(reopened->Start().ok()) << reopened->last_error();
  EXPECT_TRUE(reopened->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, UnexpectedDeathIsAnErrorThatStopClears) {
  std::unique_ptr<QemuMachine> vm = Open(Spec(), &log_);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  pid_t pid = *vm->pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);

  ASSERT_TRUE(log_.WaitFor(VmState::kError, absl::Seconds(10)));
  EXPECT_EQ(vm->state(), VmState::kError);
  EXPECT_THAT(vm->last_error(), HasSubstr("ended unexpectedly"));
  ASSERT_TRUE(vm->Stop(StopMode::kForced).ok());
  EXPECT_EQ(vm->state(), VmState::kStopped);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(Observed(*vm), "running/running");
  EXPECT_TRUE(vm->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, OneSlowVmDoesNotHoldUpAnother) {
  QemuMachineSpec slow_spec = Spec("slow");
  slow_spec.graceful_stop_timeout = absl::Seconds(2);
  std::unique_ptr<QemuMachine> slow = Open(slow_spec, &log_);
  std::unique_ptr<QemuMachine> quick = Open(Spec("quick"));
  ASSERT_TRUE(slow->Start().ok()) << slow->last_error();
  ASSERT_TRUE(quick->Start().ok()) << quick->last_error();

  auto stopping = std::async(std::launch::async, [&] { return slow->Stop(StopMode::kGraceful); });
  ASSERT_TRUE(log_.WaitFor(VmState::kStopping, absl::Seconds(10)));
  absl::Time started = absl::Now();
  EXPECT_TRUE(quick->Pause().ok());
  EXPECT_TRUE(quick->Resume().ok());
  EXPECT_EQ(Observed(*quick), "running/running");
  EXPECT_LT(absl::Now() - started, absl::Seconds(2));
  EXPECT_EQ(slow->state(), VmState::kStopping) << "the slow stop should still be waiting";

  EXPECT_TRUE(stopping.get().ok());
  EXPECT_TRUE(quick->Stop(StopMode::kForced).ok());
}

TEST_F(QemuMachineTest, VmWithAQcow2DiskRunsAndHoldsItLocked) {
  QemuImg img;
  std::string disk = folder_.Join("disk.qcow2");
  ASSERT_TRUE(img.Create(disk, 16 * kMiB).ok());
  QemuMachineSpec spec = Spec();
  spec.disks = {disk};
  std::unique_ptr<QemuMachine> vm = Open(spec);
  ASSERT_TRUE(vm->Start().ok()) << vm->last_error();
  EXPECT_EQ(Observed(*vm), "running/running");

  absl::Status snapshot = img.CreateSnapshot(disk, "live");
  EXPECT_EQ(snapshot.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(snapshot.message()), HasSubstr("is in use"));

  ASSERT_TRUE(vm->Stop(StopMode::kForced).ok());
  EXPECT_TRUE(img.CreateSnapshot(disk, "stopped").ok());
}

TEST_F(QemuMachineTest, BadSpecsAndMissingDisksAreRefusedClearly) {
  QemuMachineSpec long_path = Spec();
  long_path.folder = folder_.Join(std::string(100, 'x'));
  absl::StatusOr<std::unique_ptr<QemuMachine>> refused = QemuMachine::Open(long_path);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("under 108 bytes"));

  QemuMachineSpec missing_disk = Spec();
  missing_disk.disks = {folder_.Join("absent.qcow2")};
  std::unique_ptr<QemuMachine> vm = Open(missing_disk);
  absl::Status started = vm->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(started.message()), HasSubstr("absent.qcow2 of VM 'vm' does not exist"));
  EXPECT_EQ(vm->state(), VmState::kStopped);

  QemuMachineSpec bad_args = Spec();
  bad_args.extra_args = {"-no-such-option"};
  std::unique_ptr<QemuMachine> bad = Open(bad_args);
  absl::Status launched = bad->Start();
  EXPECT_EQ(launched.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(launched.message()), HasSubstr("-no-such-option"));
  EXPECT_EQ(bad->state(), VmState::kStopped);
  EXPECT_FALSE(bad->pid().has_value());
}

}  // namespace
}  // namespace vpvm::qemu
