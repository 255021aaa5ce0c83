// vpvm info VM: one VM in full.

#include "cli/commands/commands.h"
#include "cli/vm_view.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {

void AddInfoCommand(CLI::App& app, Cli& cli) {
  auto vm = std::make_shared<std::string>();
  CLI::App* info = AddVerb(app, "info", "show a VM's configuration and state", "vpvm info web-1");
  info->add_option("VM", *vm, "the VM's name or id")->required();
  info->callback([&cli, vm] {
    cli.SetAction([&cli, vm]() -> absl::Status {
      v1::GetVmRequest request;
      request.set_vm(*vm);
      VPVM_ASSIGN_OR_RETURN(v1::Vm found, cli.Call(&v1::VmService::Stub::GetVm, request));
      cli.Show(found, VmDetails(found));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
