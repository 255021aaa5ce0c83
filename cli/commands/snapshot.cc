// vpvm snapshot list|create|restore|delete: qcow2 snapshots of a stopped VM.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/vm_view.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::VmService::Stub;

struct SnapshotArgs {
  std::string vm;
  std::string name;
  std::string description;
};

absl::Status RunList(Cli& cli, const SnapshotArgs& args) {
  v1::ListSnapshotsRequest request;
  request.set_vm(args.vm);
  request.set_page_size(1000);
  VPVM_ASSIGN_OR_RETURN(v1::ListSnapshotsResponse all,
                        cli.CallAllPages(&Stub::ListSnapshots, request));

  Table table({"NAME", "CREATED", "DESCRIPTION"});
  for (const v1::Snapshot& snapshot : all.snapshots()) {
    table.Add({snapshot.name(), FormatLocal(FromProto(snapshot.create_time()), cli.zone()),
               snapshot.description()});
  }
  cli.Show(all, all.snapshots().empty() ? absl::StrCat("No snapshots of ", args.vm, ".\n")
                                        : table.Render());
  return absl::OkStatus();
}

absl::Status RunCreate(Cli& cli, const SnapshotArgs& args) {
  v1::CreateSnapshotRequest request;
  request.set_vm(args.vm);
  request.set_name(args.name);
  request.set_description(args.description);
  VPVM_ASSIGN_OR_RETURN(v1::Snapshot snapshot, cli.Call(&Stub::CreateSnapshot, request));
  cli.Show(snapshot, absl::StrCat("Created snapshot ", snapshot.name(), " of ", args.vm, ".\n"));
  return absl::OkStatus();
}

absl::Status RunRestore(Cli& cli, const SnapshotArgs& args) {
  v1::RestoreSnapshotRequest request;
  request.set_vm(args.vm);
  request.set_snapshot(args.name);
  VPVM_ASSIGN_OR_RETURN(v1::Vm vm, cli.Call(&Stub::RestoreSnapshot, request));
  cli.Show(vm, absl::StrCat("Restored ", vm.name(), " to snapshot ", args.name, ".\n"));
  return absl::OkStatus();
}

absl::Status RunDelete(Cli& cli, const SnapshotArgs& args) {
  v1::DeleteSnapshotRequest request;
  request.set_vm(args.vm);
  request.set_snapshot(args.name);
  VPVM_ASSIGN_OR_RETURN(v1::DeleteSnapshotResponse response,
                        cli.Call(&Stub::DeleteSnapshot, request));
  cli.Show(response, absl::StrCat("Deleted snapshot ", args.name, " of ", args.vm, ".\n"));
  return absl::OkStatus();
}

// One snapshot verb: VM, and NAME when `named`.
CLI::App* AddSnapshotVerb(CLI::App& snapshot, Cli& cli, const std::string& verb,
                          const std::string& description, bool named,
                          absl::Status (*run)(Cli&, const SnapshotArgs&),
                          std::shared_ptr<SnapshotArgs> args) {
  CLI::App* sub =
      AddVerb(snapshot, verb, description,
              absl::StrCat("vpvm snapshot ", verb, " web-1", named ? " before-upgrade" : ""));
  sub->add_option("VM", args->vm, "the VM's name or id")->required();
  if (named) sub->add_option("NAME", args->name, "the snapshot's name")->required();
  sub->callback(
      [&cli, args, run] { cli.SetAction([&cli, args, run] { return run(cli, *args); }); });
  return sub;
}

}  // namespace

void AddSnapshotCommand(CLI::App& app, Cli& cli) {
  CLI::App* snapshot = AddVerb(app, "snapshot", "list, take, restore or delete a VM's snapshots",
                               "vpvm snapshot create web-1 before-upgrade");
  snapshot->require_subcommand(1);
  AddSnapshotVerb(*snapshot, cli, "list", "list a VM's snapshots", false, RunList,
                  std::make_shared<SnapshotArgs>());
  auto create_args = std::make_shared<SnapshotArgs>();
  CLI::App* create = AddSnapshotVerb(*snapshot, cli, "create", "snapshot a stopped VM", true,
                                     RunCreate, create_args);
  create->add_option("--description", create_args->description, "a free text");
  AddSnapshotVerb(*snapshot, cli, "restore", "bring a stopped VM back to a snapshot", true,
                  RunRestore, std::make_shared<SnapshotArgs>());
  AddSnapshotVerb(*snapshot, cli, "delete", "delete a snapshot", true, RunDelete,
                  std::make_shared<SnapshotArgs>());
}

}  // namespace vpvm::cli
