#include "cli/vm_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/output.h"
#include "cli/parse.h"

namespace vpvm::cli {
namespace {

std::string DiskSummary(const v1::VmConfig& config) {
  std::vector<std::string> disks;
  for (const v1::Disk& disk : config.disks()) {
    disks.push_back(absl::StrCat(disk.name(), " ", FormatBytes(disk.size_bytes())));
  }
  return disks.empty() ? "none" : absl::StrJoin(disks, ", ");
}

std::string StateText(const v1::VmStatus& status) {
  std::string text = VmStateName(status.state());
  if (!status.accelerator().empty()) absl::StrAppend(&text, " (", status.accelerator(), ")");
  if (!status.error_message().empty()) absl::StrAppend(&text, ": ", status.error_message());
  return text;
}

}  // namespace

std::vector<std::string> VmListHeader() {
  return {"NAME", "ID", "STATE", "CPUS", "MEMORY", "DISKS"};
}

std::vector<std::string> VmListRow(const v1::Vm& vm) {
  return {vm.name(),
          vm.id(),
          VmStateName(vm.status().state()),
          absl::StrCat(vm.config().cpus()),
          FormatBytes(vm.config().memory_bytes()),
          DiskSummary(vm.config())};
}

std::string VmDetails(const v1::Vm& vm) {
  Fields fields;
  fields.Add("Name", vm.name());
  fields.Add("ID", vm.id());
  fields.Add("State", StateText(vm.status()));
  if (!vm.config().description().empty()) fields.Add("Description", vm.config().description());
  fields.Add("CPUs", absl::StrCat(vm.config().cpus()));
  fields.Add("Memory", FormatBytes(vm.config().memory_bytes()));
  fields.Add("Disks", DiskSummary(vm.config()));
  std::vector<std::string> networks;
  for (const v1::NetworkAttachment& net : vm.config().network_attachments()) {
    networks.push_back(
        absl::StrCat(net.name(), " on ", net.network(), " (", net.mac_address(), ")"));
  }
  fields.Add("Networks", networks.empty() ? "none" : absl::StrJoin(networks, ", "));
  if (vm.has_create_time()) {
    fields.Add("Created", FormatUtc(FromProto(vm.create_time())));
  }
  return fields.Render();
}

std::string VmStateLine(const v1::Vm& vm) {
  return absl::StrCat(vm.name(), " is ", StateText(vm.status()), ".\n");
}

}  // namespace vpvm::cli
