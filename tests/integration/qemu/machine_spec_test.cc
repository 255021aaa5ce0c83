#include "daemon/qemu/machine_spec.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "daemon/qemu/internal/command_line.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vpvm::qemu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

QemuMachineSpec ValidSpec() {
  QemuMachineSpec spec;
  spec.id = "vm-1";
  spec.name = "web";
  spec.folder = "/tmp/vpvm-x/vm-1";
  spec.memory_bytes = 64 * kMiB;
  return spec;
}

// The value following `flag` in argv, or "" when the flag is absent.
std::string ValueOf(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

bool Has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

TEST(ValidateSpecTest, AcceptsAValidSpec) { EXPECT_TRUE(ValidateSpec(ValidSpec()).ok()); }

TEST(ValidateSpecTest, RefusesSocketPathOf108BytesOrMore) {
  QemuMachineSpec spec = ValidSpec();
  spec.folder = "/tmp/" + std::string(100, 'f');
  absl::Status status = ValidateSpec(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("under 108 bytes"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("qmp.sock"));

  // 107 bytes with the terminating NUL fits exactly.
  spec.folder = "/tmp/" + std::string(107 - 5 - 9, 'f');
  ASSERT_EQ(PathsOf(spec).qmp_socket.size(), 107u);
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

TEST(ValidateSpecTest, NamesTheWrongField) {
  struct Case {
    void (*mutate)(QemuMachineSpec&);
    const char* expected;
  };
  const Case cases[] = {
      {[](QemuMachineSpec& s) { s.id.clear(); }, "id is empty"},
      {[](QemuMachineSpec& s) { s.name.clear(); }, "name is empty"},
      {[](QemuMachineSpec& s) { s.name = "a\nb"; }, "control characters"},
      {[](QemuMachineSpec& s) { s.folder = "relative/dir"; }, "absolute path"},
      {[](QemuMachineSpec& s) { s.folder = "/tmp/a,b"; }, "comma"},
      {[](QemuMachineSpec& s) { s.cpus = 0; }, "cpus must be between 1 and 255"},
      {[](QemuMachineSpec& s) { s.cpus = 256; }, "cpus must be between 1 and 255"},
      {[](QemuMachineSpec& s) { s.memory_bytes = 8 * kMiB; }, "at least 16 MiB"},
      {[](QemuMachineSpec& s) { s.memory_bytes = 64 * kMiB + 1; }, "whole number of MiB"},
      {[](QemuMachineSpec& s) { s.disks = {""}; }, "disk path is empty"},
      {[](QemuMachineSpec& s) { s.graceful_stop_timeout = absl::Seconds(-1); }, "timeouts"},
      {[](QemuMachineSpec& s) { s.qemu_binary.clear(); }, "QEMU binary"},
  };
  for (const Case& c : cases) {
    QemuMachineSpec spec = ValidSpec();
    c.mutate(spec);
    absl::Status status = ValidateSpec(spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected));
  }
}

TEST(CommandLineTest, FreshLaunchIsDaemonizedHaltedAndMinimal) {
  QemuMachineSpec spec = ValidSpec();
  spec.cpus = 2;
  std::vector<std::string> argv =
      internal::BuildCommandLine(spec, Accelerator::kTcg, internal::LaunchKind::kFresh);
  EXPECT_EQ(argv[0], "qemu-system-x86_64");
  EXPECT_EQ(ValueOf(argv, "-name"), "guest=web");
  EXPECT_EQ(ValueOf(argv, "-accel"), "tcg");
  EXPECT_FALSE(Has(argv, "-cpu"));
  EXPECT_EQ(ValueOf(argv, "-m"), "64M");
  EXPECT_EQ(ValueOf(argv, "-smp"), "2");
  EXPECT_EQ(ValueOf(argv, "-pidfile"), "/tmp/vpvm-x/vm-1/qemu.pid");
  EXPECT_EQ(ValueOf(argv, "-qmp"), "unix:/tmp/vpvm-x/vm-1/qmp.sock,server=on,wait=off");
  EXPECT_EQ(ValueOf(argv, "-display"), "none");
  for (const char* flag : {"-S", "-daemonize", "-nodefaults", "-no-user-config"}) {
    EXPECT_TRUE(Has(argv, flag)) << flag;
  }
  EXPECT_FALSE(Has(argv, "-incoming"));
}

TEST(CommandLineTest, RestoreWaitsForIncomingStateAndKvmUsesHostCpu) {
  std::vector<std::string> argv =
      internal::BuildCommandLine(ValidSpec(), Accelerator::kKvm, internal::LaunchKind::kRestore);
  EXPECT_EQ(ValueOf(argv, "-incoming"), "defer");
  EXPECT_EQ(ValueOf(argv, "-accel"), "kvm");
  EXPECT_EQ(ValueOf(argv, "-cpu"), "host");
}

TEST(CommandLineTest, KvmWithoutAHostCpuModelKeepsQemusDefault) {
  std::vector<std::string> argv = internal::BuildCommandLine(
      ValidSpec(), Accelerator::kKvm, internal::LaunchKind::kFresh, /*kvm_cpu_model=*/"");
  EXPECT_EQ(ValueOf(argv, "-accel"), "kvm");
  EXPECT_FALSE(Has(argv, "-cpu"));
}

TEST(CommandLineTest, EscapesCommasAndAppendsDisksThenExtraArgs) {
  QemuMachineSpec spec = ValidSpec();
  spec.name = "a,b";
  spec.disks = {"/images/one,two.qcow2", "/images/three.qcow2"};
  spec.extra_args = {"-device", "pvpanic"};
  std::vector<std::string> argv =
      internal::BuildCommandLine(spec, Accelerator::kTcg, internal::LaunchKind::kFresh);
  EXPECT_EQ(ValueOf(argv, "-name"), "guest=a,,b");
  std::vector<std::string> drives;
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-drive") drives.push_back(argv[i + 1]);
  }
  EXPECT_THAT(drives, ElementsAre("file=/images/one,,two.qcow2,format=qcow2,if=virtio,id=disk0",
                                  "file=/images/three.qcow2,format=qcow2,if=virtio,id=disk1"));
  EXPECT_THAT(std::vector<std::string>(argv.end() - 2, argv.end()),
              ElementsAre("-device", "pvpanic"));
}

TEST(CommandLineTest, ShellQuoteSurvivesQuotes) {
  EXPECT_EQ(internal::ShellQuote("/tmp/it's here"), "'/tmp/it'\\''s here'");
}

}  // namespace
}  // namespace vpvm::qemu
