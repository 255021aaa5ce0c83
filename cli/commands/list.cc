// vpvm list: the VMs in the token's scope.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "cli/vm_view.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

struct ListArgs {
  std::string state;
  std::string filter;
};

absl::Status RunList(Cli& cli, const ListArgs& args) {
  v1::ListVmsRequest request;
  request.set_filter(args.filter);
  if (!args.state.empty()) {
    VPVM_ASSIGN_OR_RETURN(v1::VmState state, ParseVmState(args.state));
    request.set_state(state);
  }
  request.set_page_size(1000);

  VPVM_ASSIGN_OR_RETURN(v1::ListVmsResponse all,
                        cli.CallAllPages(&v1::VmService::Stub::ListVms, request));

  Table table(VmListHeader());
  for (const v1::Vm& vm : all.vms()) table.Add(VmListRow(vm));
  cli.Show(all, all.vms().empty() ? "No VMs.\n" : table.Render());
  return absl::OkStatus();
}

}  // namespace

void AddListCommand(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* list = AddVerb(app, "list", "list the VMs this token may see",
                           "vpvm list --server 192.168.1.10 --port 49152 --token vpvm_...");
  list->alias("ls");
  list->add_option("--state", args->state,
                   "only VMs in this state (stopped, running, paused, suspended, ...)");
  list->add_option("--filter", args->filter, "only VMs whose name or id contains this text");
  list->callback([&cli, args] { cli.SetAction([&cli, args] { return RunList(cli, *args); }); });
}

}  // namespace vpvm::cli
