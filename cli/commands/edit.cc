// vpvm edit VM: name, description, CPUs and memory of a stopped VM.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/parse.h"
#include "cli/vm_view.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct EditArgs {
  std::string vm;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<unsigned> cpus;
  std::optional<std::string> memory;
};

absl::Status RunEdit(Cli& cli, const EditArgs& args) {
  v1::UpdateVmRequest request;
  request.set_vm(args.vm);
  auto* mask = request.mutable_update_mask();
  if (args.name) {
    request.set_name(*args.name);
    mask->add_paths("name");
  }
  if (args.description) {
    request.set_description(*args.description);
    mask->add_paths("description");
  }
  if (args.cpus) {
    request.set_cpus(*args.cpus);
    mask->add_paths("cpus");
  }
  if (args.memory) {
    VPVM_ASSIGN_OR_RETURN(uint64_t memory, ParseSize(*args.memory, "--memory"));
    request.set_memory_bytes(memory);
    mask->add_paths("memory_bytes");
  }
  if (mask->paths().empty()) {
    return absl::InvalidArgumentError(
        "nothing to change: give --name, --description, --cpus or --memory");
  }

  VPVM_ASSIGN_OR_RETURN(v1::Vm vm, cli.Call(&v1::VmService::Stub::UpdateVm, request));
  cli.Show(vm, absl::StrCat("Updated VM ", vm.name(), ".\n", VmDetails(vm)));
  return absl::OkStatus();
}

}  // namespace

void AddEditCommand(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<EditArgs>();
  CLI::App* edit = AddVerb(app, "edit", "change a stopped VM's name, description, CPUs or memory",
                           "vpvm edit web-1 --cpus 4 --memory 8G");
  edit->add_option("VM", args->vm, "the VM's name or id")->required();
  edit->add_option("--name", args->name, "a new name");
  edit->add_option("--description", args->description, "a new description");
  edit->add_option("--cpus", args->cpus, "virtual CPUs")->check(CLI::PositiveNumber);
  edit->add_option("--memory", args->memory, "memory, as 512M or 2G");
  edit->callback([&cli, args] { cli.SetAction([&cli, args] { return RunEdit(cli, *args); }); });
}

}  // namespace vpvm::cli
