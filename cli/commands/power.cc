// vpvm start|stop|pause|resume|restart|suspend VM.

#include "cli/commands/commands.h"
#include "cli/vm_view.h"
#include "google/protobuf/duration.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::VmService::Stub;

// Registers a verb whose request names only the VM.
template <typename Request>
void AddSimplePowerVerb(CLI::App& app, Cli& cli, const std::string& name,
                        const std::string& description,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     v1::Vm*)) {
  auto vm = std::make_shared<std::string>();
  CLI::App* verb = AddVerb(app, name, description, "vpvm " + name + " web-1");
  verb->add_option("VM", *vm, "the VM's name or id")->required();
  verb->callback([&cli, vm, method] {
    cli.SetAction([&cli, vm, method]() -> absl::Status {
      Request request;
      request.set_vm(*vm);
      VPVM_ASSIGN_OR_RETURN(v1::Vm result, cli.Call(method, request));
      cli.Show(result, VmStateLine(result));
      return absl::OkStatus();
    });
  });
}

void AddStopVerb(CLI::App& app, Cli& cli) {
  struct Args {
    std::string vm;
    bool force = false;
    double timeout = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* stop =
      AddVerb(app, "stop", "power a VM down gracefully; QEMU is quit once the timeout passes",
              "vpvm stop web-1 --timeout 60");
  stop->add_option("VM", args->vm, "the VM's name or id")->required();
  stop->add_flag("--force", args->force, "quit QEMU at once, without asking the guest");
  stop->add_option("--timeout", args->timeout,
                   "seconds the guest gets to power down (default: the daemon's --stop-timeout)")
      ->check(CLI::PositiveNumber);
  stop->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::StopVmRequest request;
      request.set_vm(args->vm);
      request.set_force(args->force);
      if (args->timeout > 0) {
        const auto nanos = static_cast<int64_t>(args->timeout * 1e9);
        request.mutable_timeout()->set_seconds(nanos / 1000000000);
        request.mutable_timeout()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
      }
      VPVM_ASSIGN_OR_RETURN(v1::Vm result, cli.Call(&Stub::StopVm, request));
      cli.Show(result, VmStateLine(result));
      return absl::OkStatus();
    });
  });
}

}  // namespace

void AddPowerCommands(CLI::App& app, Cli& cli) {
  AddSimplePowerVerb<v1::StartVmRequest>(
      app, cli, "start", "start a VM (a suspended one is restored)", &Stub::StartVm);
  AddStopVerb(app, cli);
  AddSimplePowerVerb<v1::PauseVmRequest>(app, cli, "pause", "pause a running VM", &Stub::PauseVm);
  AddSimplePowerVerb<v1::ResumeVmRequest>(app, cli, "resume", "resume a paused VM",
                                          &Stub::ResumeVm);
  AddSimplePowerVerb<v1::RestartVmRequest>(app, cli, "restart", "reset a running VM",
                                           &Stub::RestartVm);
  AddSimplePowerVerb<v1::SuspendVmRequest>(
      app, cli, "suspend", "save a VM's state to disk and end its process; start restores it",
      &Stub::SuspendVm);
}

}  // namespace vpvm::cli
