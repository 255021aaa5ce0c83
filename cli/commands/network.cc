// vpvm network attach|detach: a VM's network attachments.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::VmService::Stub;

struct NetworkArgs {
  std::string vm;
  std::string target;  // a network to attach to, or an attachment to detach
  std::string mac;
};

}  // namespace

void AddNetworkCommand(CLI::App& app, Cli& cli) {
  CLI::App* network = AddVerb(app, "network", "attach a stopped VM to host networks, or detach it",
                              "vpvm network attach web-1 lan");
  network->require_subcommand(1);

  auto attach_args = std::make_shared<NetworkArgs>();
  CLI::App* attach = AddVerb(*network, "attach", "attach a stopped VM to a host network",
                             "vpvm network attach web-1 lan --mac 52:54:00:12:34:56");
  attach->add_option("VM", attach_args->vm, "the VM's name or id")->required();
  attach->add_option("NETWORK", attach_args->target, "the host network")->required();
  attach->add_option("--mac", attach_args->mac, "the MAC address (generated when left out)");
  attach->callback([&cli, args = attach_args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::AttachNetworkRequest request;
      request.set_vm(args->vm);
      request.set_network(args->target);
      request.set_mac_address(args->mac);
      VPVM_ASSIGN_OR_RETURN(v1::NetworkAttachment attached,
                            cli.Call(&Stub::AttachNetwork, request));
      cli.Show(attached, absl::StrCat("Attached ", args->vm, " to ", attached.network(), " as ",
                                      attached.name(), " (", attached.mac_address(), ").\n"));
      return absl::OkStatus();
    });
  });

  auto detach_args = std::make_shared<NetworkArgs>();
  CLI::App* detach = AddVerb(*network, "detach", "remove a network attachment of a stopped VM",
                             "vpvm network detach web-1 net0");
  detach->add_option("VM", detach_args->vm, "the VM's name or id")->required();
  detach->add_option("ATTACHMENT", detach_args->target, "the attachment's name (see vpvm info)")
      ->required();
  detach->callback([&cli, args = detach_args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::DetachNetworkRequest request;
      request.set_vm(args->vm);
      request.set_attachment(args->target);
      VPVM_ASSIGN_OR_RETURN(v1::DetachNetworkResponse response,
                            cli.Call(&Stub::DetachNetwork, request));
      cli.Show(response, absl::StrCat("Detached ", args->target, " from ", args->vm, ".\n"));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
