// vpvm delete VM: removes a VM with its disks and snapshots.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {

void AddDeleteCommand(CLI::App& app, Cli& cli) {
  struct Args {
    std::string vm;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* remove = AddVerb(app, "delete", "delete a stopped VM with its disks and snapshots",
                             "vpvm delete web-1 --force");
  remove->alias("rm");
  remove->add_option("VM", args->vm, "the VM's name or id")->required();
  remove->add_flag("--force", args->force, "stop the VM first if it runs");
  remove->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::DeleteVmRequest request;
      request.set_vm(args->vm);
      request.set_force(args->force);
      VPVM_ASSIGN_OR_RETURN(v1::DeleteVmResponse response,
                            cli.Call(&v1::VmService::Stub::DeleteVm, request));
      cli.Show(response, absl::StrCat("Deleted VM ", args->vm, ".\n"));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
