#include "daemon/vm_manager.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/state_dir.h"
#include "libauth/access.h"

// The registry, creating and deleting VMs, and their power operations. Edits of configuration,
// disks, network attachments and snapshots are in vm_manager_edits.cc.

namespace vpvm::daemon {
namespace {

namespace fs = std::filesystem;

constexpr char kIdPrefix[] = "vm_";
constexpr size_t kIdLength = 12;
constexpr char kGeneratedNamePrefix[] = "vm-";
constexpr size_t kGeneratedNameLength = 6;
constexpr char kLowerAlphanumeric[] = "abcdefghijklmnopqrstuvwxyz0123456789";
// Folders of VMs being created or deleted; never loaded as VMs.
constexpr char kStagingPrefix[] = ".new-";
constexpr char kTrashPrefix[] = ".deleted-";
constexpr int kDrawAttempts = 16;

std::shared_ptr<spdlog::logger> Log() { return Logger("daemon"); }

std::string ErrorCode(const std::error_code& error) { return error.message(); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opening

VmManager::VmManager(Options options, auth::RandomSource& random, const auth::Clock& clock)
    : options_(std::move(options)), random_(random), clock_(clock) {}

VmManager::~VmManager() = default;

absl::StatusOr<std::unique_ptr<VmManager>> VmManager::Open(Options options,
                                                           auth::RandomSource& random,
                                                           const auth::Clock& clock) {
  if (options.folder.empty()) return absl::InvalidArgumentError("no folder for the VMs");
  std::error_code error;
  fs::path folder = fs::absolute(options.folder, error).lexically_normal();
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad VM folder ", options.folder, ": ", ErrorCode(error)));
  }
  options.folder = folder.string();
  if (!options.folder.empty() && options.folder.back() == '/') options.folder.pop_back();
  VPVM_RETURN_IF_ERROR(MakePrivateDirs(options.folder));

  std::vector<std::string> ids;
  for (auto it = fs::directory_iterator(options.folder, error);
       !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code ignored;
    if (!absl::StartsWith(name, ".") && it->is_directory(ignored)) ids.push_back(name);
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read the VM folder ", options.folder, ": ", ErrorCode(error)));
  }
  std::sort(ids.begin(), ids.end());

  auto manager = std::unique_ptr<VmManager>(new VmManager(std::move(options), random, clock));
  for (const std::string& id : ids) manager->Load(id);
  Log()->info("{} VM(s) in {}", manager->by_id_.size(), manager->options_.folder);
  return manager;
}

void VmManager::Load(const std::string& id) {
  const std::string folder = FolderOf(id);
  absl::StatusOr<VmConfig> config = LoadVmConfig(folder);
  if (!config.ok()) {
    Log()->error("skipping VM folder {}: {}", folder, config.status().message());
    return;
  }
  if (config->id != id) {
    Log()->error("skipping VM folder {}: its record is of VM {}", folder, config->id);
    return;
  }
  if (std::optional<auth::VmRef> same = Find(config->name)) {
    Log()->error("skipping VM folder {}: VM {} has the same name \"{}\"", folder, same->id,
                 config->name);
    return;
  }
  auto vm = std::make_shared<Vm>();
  vm->config = *std::move(config);
  vm->clock->changed_at = clock_.Now();
  InstallMachine(*vm, OpenMachine(*vm));
  std::unique_lock registry(registry_mu_);
  id_by_name_[vm->config.name] = id;
  by_id_[id] = std::move(vm);
}

std::string VmManager::FolderOf(absl::string_view id) const {
  return absl::StrCat(options_.folder, "/", id);
}

qemu::QemuMachineSpec VmManager::SpecOf(const VmConfig& config) const {
  qemu::QemuMachineSpec spec;
  spec.id = config.id;
  spec.name = config.name;
  spec.folder = FolderOf(config.id);
  spec.cpus = config.cpus;
  spec.memory_bytes = config.memory_bytes;
  for (const DiskConfig& disk : config.disks)
    spec.disks.push_back(DiskPath(spec.folder, disk.name));
  spec.accelerator = options_.accelerator;
  // The manager times graceful stops itself (StopWithin); this is only the ceiling.
  spec.graceful_stop_timeout = std::max(kMaxStopTimeout, options_.stop_timeout);
  spec.qemu_binary = options_.qemu_binary;
  return spec;
}

absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> VmManager::OpenMachine(const Vm& vm) const {
  VmConfig config;
  {
    std::lock_guard lock(vm.mu);
    config = vm.config;
  }
  std::shared_ptr<StateClock> state_clock = vm.clock;
  const auth::Clock* clock = &clock_;
  auto on_change = [state_clock, clock](absl::string_view, qemu::VmState, qemu::VmState) {
    std::lock_guard lock(state_clock->mu);
    state_clock->changed_at = clock->Now();
  };
  absl::StatusOr<std::unique_ptr<qemu::QemuMachine>> machine =
      qemu::QemuMachine::Open(SpecOf(config), on_change);
  if (!machine.ok()) {
    Log()->error("VM '{}' ({}): {}", config.name, config.id, machine.status().message());
    return machine.status();
  }
  return std::shared_ptr<qemu::QemuMachine>(*std::move(machine));
}

void VmManager::InstallMachine(Vm& vm,
                               absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> machine) const {
  std::shared_ptr<qemu::QemuMachine> previous;
  {
    std::lock_guard lock(vm.mu);
    previous = std::move(vm.machine);
    vm.machine = machine.ok() ? *machine : nullptr;
    vm.open_error = machine.ok() ? "" : std::string(machine.status().message());
  }
  // Detached outside mu: its destructor joins the threads that report its state.
}

absl::StatusOr<std::shared_ptr<qemu::QemuMachine>> VmManager::MachineOf(Vm& vm) const {
  std::lock_guard open(vm.open_mu);
  {
    std::lock_guard lock(vm.mu);
    if (vm.machine) return vm.machine;
  }
  InstallMachine(vm, OpenMachine(vm));
  std::lock_guard lock(vm.mu);
  if (vm.machine) return vm.machine;
  return absl::FailedPreconditionError(
      absl::StrCat("VM \"", vm.config.name, "\" cannot be managed right now: ", vm.open_error));
}

// ---------------------------------------------------------------------------------------------
// Looking up

std::shared_ptr<VmManager::Vm> VmManager::Lookup(absl::string_view id_or_name) const {
  std::shared_lock registry(registry_mu_);
  if (auto it = by_id_.find(id_or_name); it != by_id_.end()) return it->second;
  if (auto named = id_by_name_.find(id_or_name); named != id_by_name_.end()) {
    if (auto it = by_id_.find(named->second); it != by_id_.end()) return it->second;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<VmManager::Vm>> VmManager::Resolve(absl::string_view vm) const {
  std::shared_ptr<Vm> found = Lookup(vm);
  if (found == nullptr) return absl::NotFoundError(auth::VmNotFoundMessage(vm));
  return found;
}

std::optional<auth::VmRef> VmManager::Find(absl::string_view id_or_name) const {
  std::shared_ptr<Vm> vm = Lookup(id_or_name);
  if (vm == nullptr) return std::nullopt;
  std::lock_guard lock(vm->mu);
  return auth::VmRef{vm->config.id, vm->config.name};
}

bool VmManager::Exists(absl::string_view id) const {
  std::shared_lock registry(registry_mu_);
  return by_id_.contains(id);
}

VmInfo VmManager::Describe(const Vm& vm) const {
  VmInfo info;
  std::shared_ptr<qemu::QemuMachine> machine;
  {
    std::lock_guard lock(vm.mu);
    info.config = vm.config;
    machine = vm.machine;
    info.error_message = vm.open_error;
  }
  {
    std::lock_guard lock(vm.clock->mu);
    info.state_changed_at = vm.clock->changed_at;
  }
  if (machine == nullptr) {
    info.state = qemu::VmState::kError;
    return info;
  }
  info.state = machine->state();
  info.error_message = info.state == qemu::VmState::kError ? machine->last_error() : "";
  qemu::Accelerator accelerator = machine->accelerator();
  if (accelerator != qemu::Accelerator::kAuto) {
    info.accelerator = std::string(qemu::AcceleratorName(accelerator));
  }
  return info;
}

std::vector<VmInfo> VmManager::List() const {
  std::vector<std::shared_ptr<Vm>> vms;
  {
    std::shared_lock registry(registry_mu_);
    for (const auto& [id, vm] : by_id_) vms.push_back(vm);
  }
  std::vector<VmInfo> out;
  out.reserve(vms.size());
  for (const auto& vm : vms) out.push_back(Describe(*vm));
  std::sort(out.begin(), out.end(),
            [](const VmInfo& a, const VmInfo& b) { return a.config.name < b.config.name; });
  return out;
}

absl::StatusOr<VmInfo> VmManager::Get(absl::string_view vm) const {
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<Vm> found, Resolve(vm));
  return Describe(*found);
}

// ---------------------------------------------------------------------------------------------
// Names and ids

absl::Status VmManager::ReserveName(const std::string& name) {
  std::unique_lock registry(registry_mu_);
  if (id_by_name_.contains(name) || reserved_names_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("a VM named \"", name, "\" exists already"));
  }
  reserved_names_.insert(name);
  return absl::OkStatus();
}

void VmManager::ReleaseName(const std::string& name) {
  std::unique_lock registry(registry_mu_);
  reserved_names_.erase(name);
}

absl::StatusOr<std::string> VmManager::Draw(absl::string_view prefix, size_t length) {
  std::lock_guard lock(random_mu_);
  std::string drawn;
  VPVM_RETURN_IF_ERROR(auth::RandomString(random_, kLowerAlphanumeric, length, &drawn));
  return absl::StrCat(prefix, drawn);
}

absl::StatusOr<std::string> VmManager::NewId() {
  for (int attempt = 0; attempt < kDrawAttempts; ++attempt) {
    VPVM_ASSIGN_OR_RETURN(std::string id, Draw(kIdPrefix, kIdLength));
    std::error_code ignored;
    if (!Exists(id) && !fs::exists(FolderOf(id), ignored)) return id;
  }
  return absl::InternalError("could not draw an unused VM id");
}

absl::StatusOr<std::string> VmManager::ReserveNewName() {
  for (int attempt = 0; attempt < kDrawAttempts; ++attempt) {
    VPVM_ASSIGN_OR_RETURN(std::string name, Draw(kGeneratedNamePrefix, kGeneratedNameLength));
    if (ReserveName(name).ok()) return name;
  }
  return absl::InternalError("could not draw an unused VM name");
}

// ---------------------------------------------------------------------------------------------
// Create and delete

absl::StatusOr<VmInfo> VmManager::Create(const NewVm& request) {
  VPVM_ASSIGN_OR_RETURN(VmConfig config, Draft(request));
  if (config.name.empty()) {
    VPVM_ASSIGN_OR_RETURN(config.name, ReserveNewName());
  } else {
    VPVM_RETURN_IF_ERROR(ReserveName(config.name));
  }
  // E.g. a state folder so deep that the QMP socket path would not fit.
  if (absl::Status valid = qemu::ValidateSpec(SpecOf(config)); !valid.ok()) {
    ReleaseName(config.name);
    return valid;
  }

  // Built aside and renamed into place, so that a crash never leaves half a VM behind.
  const std::string staging = absl::StrCat(options_.folder, "/", kStagingPrefix, config.id);
  absl::Status built = MakePrivateDirs(staging);
  for (size_t i = 0; built.ok() && i < config.disks.size(); ++i) {
    built = qemu_img_.Create(DiskPath(staging, config.disks[i].name), config.disks[i].size_bytes);
  }
  if (built.ok()) built = SaveVmConfig(staging, config);
  std::error_code error;
  if (built.ok()) {
    fs::rename(staging, FolderOf(config.id), error);
    if (error) {
      built = absl::InternalError(absl::StrCat("cannot move ", staging, " to ", FolderOf(config.id),
                                               ": ", ErrorCode(error)));
    }
  }
  if (!built.ok()) {
    fs::remove_all(staging, error);
    ReleaseName(config.name);
    return built;
  }

  auto vm = std::make_shared<Vm>();
  vm->config = config;
  vm->clock->changed_at = clock_.Now();
  InstallMachine(*vm, OpenMachine(*vm));
  {
    std::unique_lock registry(registry_mu_);
    reserved_names_.erase(config.name);
    id_by_name_[config.name] = config.id;
    by_id_[config.id] = vm;
  }
  Log()->info("VM '{}' ({}) created: {} CPU(s), {} memory, {} disk(s)", config.name, config.id,
              config.cpus, FormatBytes(config.memory_bytes), config.disks.size());
  return Describe(*vm);
}

absl::Status VmManager::Delete(absl::string_view vm, bool force) {
  VPVM_ASSIGN_OR_RETURN(Held held, Hold(vm, Needs::kAnyState, "delete it"));
  const VmConfig& config = held.config;
  qemu::QemuMachine& machine = *held.machine;
  const bool has_process = machine.pid().has_value();
  const bool has_saved_state = machine.has_saved_state();
  if ((has_process || has_saved_state) && !force) {
    return absl::FailedPreconditionError(
        absl::StrCat("VM \"", config.name, "\" is ", qemu::VmStateName(machine.state()),
                     has_saved_state && !has_process ? " (its machine state is saved)" : "",
                     "; stop it first, or delete it with force"));
  }
  if (has_process) VPVM_RETURN_IF_ERROR(machine.Stop(qemu::StopMode::kForced));
  if (machine.has_saved_state()) VPVM_RETURN_IF_ERROR(machine.DiscardSavedState());

  const std::string trash = absl::StrCat(options_.folder, "/", kTrashPrefix, config.id);
  std::error_code error;
  fs::rename(FolderOf(config.id), trash, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot delete VM \"", config.name, "\": moving ",
                                            FolderOf(config.id), " failed: ", ErrorCode(error)));
  }
  {
    std::unique_lock registry(registry_mu_);
    by_id_.erase(config.id);
    id_by_name_.erase(config.name);
  }
  std::shared_ptr<qemu::QemuMachine> detached;
  {
    std::lock_guard lock(held.vm->mu);
    held.vm->deleted = true;
    detached = std::move(held.vm->machine);
  }
  fs::remove_all(trash, error);
  if (error) Log()->warn("could not remove {}: {}", trash, ErrorCode(error));
  Log()->info("VM '{}' ({}) deleted", config.name, config.id);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Power

absl::StatusOr<VmInfo> VmManager::Power(
    absl::string_view vm, absl::string_view done,
    const std::function<absl::Status(qemu::QemuMachine&)>& operation) {
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<Vm> found, Resolve(vm));
  std::shared_lock op(found->op_mu);
  std::string name;
  {
    std::lock_guard lock(found->mu);
    if (found->deleted) return absl::NotFoundError(auth::VmNotFoundMessage(vm));
    name = found->config.name;
  }
  VPVM_ASSIGN_OR_RETURN(std::shared_ptr<qemu::QemuMachine> machine, MachineOf(*found));
  VPVM_RETURN_IF_ERROR(operation(*machine));
  Log()->info("VM '{}' ({}) {}", name, machine->spec().id, done);
  return Describe(*found);
}

absl::StatusOr<VmInfo> VmManager::Start(absl::string_view vm) {
  return Power(vm, "started", [](qemu::QemuMachine& m) { return m.Start(); });
}

absl::StatusOr<VmInfo> VmManager::Stop(absl::string_view vm, qemu::StopMode mode,
                                       std::optional<absl::Duration> timeout) {
  if (timeout.has_value() && (*timeout <= absl::ZeroDuration() || *timeout > kMaxStopTimeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid stop timeout ", absl::FormatDuration(*timeout),
                     ": it must be positive and at most ", absl::FormatDuration(kMaxStopTimeout),
                     " (to quit QEMU at once, stop with force)"));
  }
  const absl::Duration wait = timeout.value_or(options_.stop_timeout);
  return Power(vm, "stopped", [&](qemu::QemuMachine& m) {
    const bool suspended = m.state() == qemu::VmState::kSuspended;
    if (mode == qemu::StopMode::kForced) return suspended ? m.DiscardSavedState() : m.Stop(mode);
    if (suspended) {
      return absl::FailedPreconditionError(
          absl::StrCat("VM \"", m.spec().name,
                       "\" is suspended; start it to resume it, or stop it with force to "
                       "discard its saved state"));
    }
    return StopWithin(m, wait);
  });
}

absl::Status VmManager::StopWithin(qemu::QemuMachine& machine, absl::Duration timeout) const {
  if (timeout >= machine.spec().graceful_stop_timeout) {
    return machine.Stop(qemu::StopMode::kGraceful);
  }
  std::future<absl::Status> graceful = std::async(
      std::launch::async, [&machine] { return machine.Stop(qemu::StopMode::kGraceful); });
  if (graceful.wait_for(absl::ToChronoNanoseconds(timeout)) == std::future_status::ready) {
    return graceful.get();
  }
  Log()->info("VM '{}' ({}) did not power off within {}; quitting QEMU", machine.spec().name,
              machine.spec().id, absl::FormatDuration(timeout));
  // Cuts the graceful stop's wait short.
  absl::Status forced = machine.Stop(qemu::StopMode::kForced);
  absl::Status first = graceful.get();
  if (forced.ok()) return absl::OkStatus();
  return first.ok() ? forced : first;
}

absl::StatusOr<VmInfo> VmManager::Pause(absl::string_view vm) {
  return Power(vm, "paused", [](qemu::QemuMachine& m) { return m.Pause(); });
}

absl::StatusOr<VmInfo> VmManager::Resume(absl::string_view vm) {
  return Power(vm, "resumed", [](qemu::QemuMachine& m) { return m.Resume(); });
}

absl::StatusOr<VmInfo> VmManager::Restart(absl::string_view vm) {
  return Power(vm, "restarted", [](qemu::QemuMachine& m) { return m.Restart(); });
}

absl::StatusOr<VmInfo> VmManager::Suspend(absl::string_view vm) {
  return Power(vm, "suspended", [](qemu::QemuMachine& m) { return m.Suspend(); });
}

}  // namespace vpvm::daemon
