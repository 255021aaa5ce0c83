#pragma once

// VmManager: every VM of the host (DESIGN.md §5). It keeps the registry of VMs, one folder each
// under `<state>/vms/` (see vm_store.h), drives each VM's QEMU through a QemuMachine, and answers
// the access gate's questions as the host's VmDirectory.
//
// Promises:
//  - a VM has an immutable id ("vm_" and 12 characters from the OS CSPRNG) and a unique name
//    (CheckVmName); every call that names a VM takes either, the id first;
//  - the state shown is the one QEMU reports (QemuMachine::state()); reading it never waits for
//    an operation;
//  - QEMU processes outlive the manager: Open() reattaches to the VMs that still run;
//  - operations on one VM are serialised by a lock of that VM only, so one VM's slow operation
//    never delays calls about another. Power operations share that lock (QemuMachine serialises
//    them, and a forced stop can cut a graceful one short); edits hold it alone;
//  - bad input and refused operations leave the VM, its record and its files as they were:
//    NotFound (with auth::VmNotFoundMessage for an unknown VM), AlreadyExists (a name taken),
//    InvalidArgument (a bad value, shrinking a disk), FailedPrecondition (the VM's state does
//    not allow it: hardware, names and snapshots change only while the VM is stopped, and
//    nothing is edited while it is suspended).
//
// Network attachments are recorded with the VM and shown, but are not passed to QEMU yet: the
// host networks they name do not exist yet, and the attachments take effect once they do.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/qemu/accelerator.h"
#include "daemon/qemu/qemu_img.h"
#include "daemon/qemu/qemu_machine.h"
#include "daemon/qemu/vm_state.h"
#include "daemon/vm_directory.h"
#include "daemon/vm_store.h"
#include "libauth/clock.h"
#include "libauth/random.h"

namespace vpvm::daemon {

// What a Quick VM gets.
inline constexpr int kDefaultCpus = 1;
inline constexpr uint64_t kDefaultMemoryBytes = 1 * kGibibyte;
inline constexpr uint64_t kDefaultDiskBytes = 10 * kGibibyte;
// The longest graceful stop a request may ask for.
inline constexpr absl::Duration kMaxStopTimeout = absl::Hours(1);

// A VM's record and what it is doing now.
struct VmInfo {
  VmConfig config;
  qemu::VmState state = qemu::VmState::kStopped;
  absl::Time state_changed_at;
  std::string error_message;  // why the VM is in kError; empty otherwise
  std::string accelerator;    // "kvm" or "tcg" while a QEMU process runs; empty otherwise
};

// A VM to create; zero values take the defaults above.
struct NewVm {
  std::string name;  // generated ("vm-" and 6 characters) when empty
  std::string description;
  int64_t cpus = 0;
  uint64_t memory_bytes = 0;
  // Absent: one default disk. A disk's name may be empty (then disk0, disk1, ...).
  std::optional<std::vector<DiskConfig>> disks;
  // `network` is required, `name` is assigned, an empty `mac_address` is generated.
  std::vector<NetworkAttachmentConfig> networks;
};

// The fields of UpdateVm; absent fields stay as they are.
struct VmEdit {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int64_t> cpus;
  std::optional<uint64_t> memory_bytes;
};

class VmManager final : public VmDirectory {
 public:
  struct Options {
    std::string folder;  // `<state>/vms`; created when missing
    // A graceful stop's default time to power down before QEMU is quit.
    absl::Duration stop_timeout = absl::Seconds(30);
    qemu::Accelerator accelerator = qemu::Accelerator::kAuto;
    std::string qemu_binary = "qemu-system-x86_64";
    // Told the new name of a renamed VM (the daemon records it in the tokens that list the
    // VM). A failure is logged; the rename stands.
    std::function<absl::Status(absl::string_view id, absl::string_view name)> on_rename;
  };

  // Loads every VM folder under `options.folder` and attaches to the QEMUs that still run. It
  // writes none of the records; a folder whose record is missing or damaged is skipped with an
  // error in the log and left as it is.
  static absl::StatusOr<std::unique_ptr<VmManager>> Open(Options options,
                                                         auth::RandomSource& random,
                                                         const auth::Clock& clock);
  VmManager(const VmManager&) = delete;
  VmManager& operator=(const VmManager&) = delete;
  // Detaches from every QEMU; the VMs keep running.
  ~VmManager() override;

  std::optional<auth::VmRef> Find(absl::string_view id_or_name) const override;
  bool Exists(absl::string_view id) const override;

  // Every VM, by name.
  std::vector<VmInfo> List() const;
  absl::StatusOr<VmInfo> Get(absl::string_view vm) const;

  // A stopped VM with new empty disks.
  absl::StatusOr<VmInfo> Create(const NewVm& request);
  // Deletes the VM's folder: record, disks, snapshots. A VM with a QEMU process or a saved
  // state is refused unless `force`, which quits QEMU (or discards the saved state) first.
  absl::Status Delete(absl::string_view vm, bool force);

  absl::StatusOr<VmInfo> Start(absl::string_view vm);
  // Graceful: ACPI power-down, and QEMU quit after `timeout` (default: Options::stop_timeout).
  // Forced: QEMU quit at once; for a suspended VM, its saved state discarded.
  absl::StatusOr<VmInfo> Stop(absl::string_view vm, qemu::StopMode mode,
                              std::optional<absl::Duration> timeout = std::nullopt);
  absl::StatusOr<VmInfo> Pause(absl::string_view vm);
  absl::StatusOr<VmInfo> Resume(absl::string_view vm);
  absl::StatusOr<VmInfo> Restart(absl::string_view vm);
  absl::StatusOr<VmInfo> Suspend(absl::string_view vm);

  // Name, CPUs and memory change only while stopped; the description in any state but
  // suspended.
  absl::StatusOr<VmInfo> Update(absl::string_view vm, const VmEdit& edit);

  // Disks and network attachments change only while the VM is stopped.
  absl::StatusOr<DiskConfig> AddDisk(absl::string_view vm, DiskConfig disk);
  // Grows a disk; shrinking is refused (InvalidArgument).
  absl::StatusOr<DiskConfig> ResizeDisk(absl::string_view vm, absl::string_view disk,
                                        uint64_t size_bytes);
  // Deletes the disk's image with its snapshots.
  absl::Status RemoveDisk(absl::string_view vm, absl::string_view disk);
  absl::StatusOr<NetworkAttachmentConfig> AttachNetwork(absl::string_view vm,
                                                        absl::string_view network,
                                                        absl::string_view mac_address);
  absl::Status DetachNetwork(absl::string_view vm, absl::string_view attachment);

  // Snapshots cover every disk of a stopped VM; listing works in any state. A VM without disks
  // has no snapshots.
  absl::StatusOr<std::vector<SnapshotRecord>> ListSnapshots(absl::string_view vm) const;
  absl::StatusOr<SnapshotRecord> CreateSnapshot(absl::string_view vm, absl::string_view name,
                                                absl::string_view description);
  absl::StatusOr<VmInfo> RestoreSnapshot(absl::string_view vm, absl::string_view snapshot);
  absl::Status DeleteSnapshot(absl::string_view vm, absl::string_view snapshot);

 private:
  // When the VM's state last changed; shared with its QemuMachine's state callback.
  struct StateClock {
    std::mutex mu;
    absl::Time changed_at;
  };

  struct Vm {
    // Shared by power operations, held alone by edits and by delete.
    std::shared_mutex op_mu;
    // Serialises opening the machine again after it failed to open.
    std::mutex open_mu;
    // Guards the fields below; held only briefly, never during QEMU or qemu-img.
    mutable std::mutex mu;
    VmConfig config;
    std::shared_ptr<qemu::QemuMachine> machine;  // null when it could not be opened
    std::string open_error;                      // why not
    bool deleted = false;
    std::shared_ptr<StateClock> clock = std::make_shared<StateClock>();
  };

  // A VM held for an edit: its lock held alone, its record as it was, its machine.
  struct Held {
    std::shared_ptr<Vm> vm;
    std::unique_lock<std::shared_mutex> lock;
    VmConfig config;
    std::shared_ptr<qemu::QemuMachine> machine;
  };
  enum class Needs { kAnyState, kNotSuspended, kStopped };

  VmManager(Options options, auth::RandomSource& random, const auth::Clock& clock);

  // Adds the VM of folder `id` to the registry, or logs why not.
  void Load(const std::string& id);
  std::string FolderOf(absl::string_view id) const;
  qemu::QemuMachineSpec SpecOf(const VmConfig& config) const;
  absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> OpenMachine(const Vm& vm) const;
  void InstallMachine(Vm& vm, absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> machine) const;
  // The VM's machine, opened again when it could not be opened before.
  absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> MachineOf(Vm& vm) const;

  std::shared_ptr<Vm> Lookup(absl::string_view id_or_name) const;
  absl::StatusOr<std::shared_ptr<Vm>> Resolve(absl::string_view vm) const;
  VmInfo Describe(const Vm& vm) const;

  // A power operation on the VM, under its shared lock, answered with the VM afterwards.
  absl::StatusOr<VmInfo> Power(absl::string_view vm, absl::string_view done,
                               const std::function<absl::Status(qemu::QemuMachine&)>& operation);
  // A graceful stop that quits QEMU once `timeout` has passed.
  absl::Status StopWithin(qemu::QemuMachine& machine, absl::Duration timeout) const;

  // Takes the VM's lock alone and checks that its state allows `what` ("add a disk").
  absl::StatusOr<Held> Hold(absl::string_view vm, Needs needs, absl::string_view what) const;
  // Saves `updated` as the VM's record and installs it; reopens the machine when its QEMU
  // configuration changed. Nothing changes when saving fails.
  absl::Status Commit(Held& held, VmConfig updated);

  absl::Status ReserveName(const std::string& name);
  void ReleaseName(const std::string& name);
  absl::StatusOr<std::string> Draw(absl::string_view prefix, size_t length);
  absl::StatusOr<std::string> NewId();
  absl::StatusOr<std::string> ReserveNewName();
  absl::StatusOr<std::string> NewMacAddress(const std::vector<NetworkAttachmentConfig>& taken);
  // The record of a new VM from `request`, checked and with defaults, ids and names filled in
  // (except a generated VM name).
  absl::StatusOr<VmConfig> Draft(const NewVm& request);

  const Options options_;
  auth::RandomSource& random_;
  const auth::Clock& clock_;
  const qemu::QemuImg qemu_img_;

  // Guards the registry; held only for lookups and updates, never during QEMU or qemu-img.
  mutable std::shared_mutex registry_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Vm>> by_id_;
  absl::flat_hash_map<std::string, std::string> id_by_name_;
  // Names taken by a create or rename under way.
  absl::flat_hash_set<std::string> reserved_names_;
  // Serialises random draws (ids, names, MAC addresses).
  std::mutex random_mu_;
};

}  // namespace vpvm::daemon
