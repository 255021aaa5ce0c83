// vpvm create [NAME]: a Quick VM, or a New VM with the hardware given.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/parse.h"
#include "cli/vm_view.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct CreateArgs {
  std::string name;
  std::string description;
  unsigned cpus = 0;
  std::string memory;
  std::vector<std::string> disks;
  std::vector<std::string> networks;
};

absl::Status RunCreate(Cli& cli, const CreateArgs& args) {
  v1::CreateVmRequest request;
  request.set_name(args.name);
  request.set_description(args.description);
  request.set_cpus(args.cpus);
  if (!args.memory.empty()) {
    VPVM_ASSIGN_OR_RETURN(uint64_t memory, ParseSize(args.memory, "--memory"));
    request.set_memory_bytes(memory);
  }
  for (const std::string& disk : args.disks) {
    VPVM_ASSIGN_OR_RETURN(uint64_t size, ParseSize(disk, "--disk"));
    request.add_disks()->set_size_bytes(size);
  }
  for (const std::string& network : args.networks) {
    request.add_network_attachments()->set_network(network);
  }

  VPVM_ASSIGN_OR_RETURN(v1::Vm vm, cli.Call(&v1::VmService::Stub::CreateVm, request));
  cli.Show(vm, absl::StrCat("Created VM ", vm.name(), " (", vm.id(), ").\n", VmDetails(vm)));
  return absl::OkStatus();
}

}  // namespace

void AddCreateCommand(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<CreateArgs>();
  CLI::App* create = AddVerb(
      app, "create", "create a VM: without options a Quick VM (1 CPU, 1 GiB, a 10 GiB disk)",
      "vpvm create web-1 --cpus 2 --memory 2G --disk 20G --disk 100G");
  create->add_option("NAME", args->name,
                     "1-63 of a-z, 0-9 and -, starting with a letter; generated when left out");
  create->add_option("--cpus", args->cpus, "virtual CPUs")->check(CLI::PositiveNumber);
  create->add_option("--memory", args->memory, "memory, as 512M or 2G");
  create->add_option("--disk", args->disks, "a disk of this size (repeat for more), as 10G");
  create->add_option("--network", args->networks, "attach to this host network (repeatable)");
  create->add_option("--description", args->description, "a free text");
  create->callback([&cli, args] { cli.SetAction([&cli, args] { return RunCreate(cli, *args); }); });
}

}  // namespace vpvm::cli
