// vpvm disk add|resize|remove: a VM's qcow2 disks.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::cli {
namespace {

using Stub = v1::VmService::Stub;

struct DiskArgs {
  std::string vm;
  std::string disk;
  std::string size;
};

std::string DiskLine(const std::string& what, const std::string& vm, const v1::Disk& disk) {
  return absl::StrCat(what, " disk ", disk.name(), " of ", vm, ": ", FormatBytes(disk.size_bytes()),
                      ".\n");
}

void AddDiskAdd(CLI::App& disk, Cli& cli) {
  auto args = std::make_shared<DiskArgs>();
  CLI::App* add = AddVerb(disk, "add", "add an empty qcow2 disk to a stopped VM",
                          "vpvm disk add web-1 --size 20G");
  add->add_option("VM", args->vm, "the VM's name or id")->required();
  add->add_option("--size", args->size, "its size, as 20G")->required();
  add->add_option("--name", args->disk, "its name (chosen by the daemon when left out)");
  add->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::AddDiskRequest request;
      request.set_vm(args->vm);
      request.set_name(args->disk);
      VPVM_ASSIGN_OR_RETURN(uint64_t size, ParseSize(args->size, "--size"));
      request.set_size_bytes(size);
      VPVM_ASSIGN_OR_RETURN(v1::Disk added, cli.Call(&Stub::AddDisk, request));
      cli.Show(added, DiskLine("Added", args->vm, added));
      return absl::OkStatus();
    });
  });
}

void AddDiskResize(CLI::App& disk, Cli& cli) {
  auto args = std::make_shared<DiskArgs>();
  CLI::App* resize = AddVerb(disk, "resize", "grow a disk of a stopped VM (disks only grow)",
                             "vpvm disk resize web-1 disk0 --size 40G");
  resize->add_option("VM", args->vm, "the VM's name or id")->required();
  resize->add_option("DISK", args->disk, "the disk's name")->required();
  resize->add_option("--size", args->size, "its new size, as 40G")->required();
  resize->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::ResizeDiskRequest request;
      request.set_vm(args->vm);
      request.set_disk(args->disk);
      VPVM_ASSIGN_OR_RETURN(uint64_t size, ParseSize(args->size, "--size"));
      request.set_size_bytes(size);
      VPVM_ASSIGN_OR_RETURN(v1::Disk resized, cli.Call(&Stub::ResizeDisk, request));
      cli.Show(resized, DiskLine("Resized", args->vm, resized));
      return absl::OkStatus();
    });
  });
}

void AddDiskRemove(CLI::App& disk, Cli& cli) {
  auto args = std::make_shared<DiskArgs>();
  CLI::App* remove = AddVerb(disk, "remove", "remove a disk and its data from a stopped VM",
                             "vpvm disk remove web-1 disk1");
  remove->add_option("VM", args->vm, "the VM's name or id")->required();
  remove->add_option("DISK", args->disk, "the disk's name")->required();
  remove->callback([&cli, args] {
    cli.SetAction([&cli, args]() -> absl::Status {
      v1::RemoveDiskRequest request;
      request.set_vm(args->vm);
      request.set_disk(args->disk);
      VPVM_ASSIGN_OR_RETURN(v1::RemoveDiskResponse response, cli.Call(&Stub::RemoveDisk, request));
      cli.Show(response, absl::StrCat("Removed disk ", args->disk, " of ", args->vm, ".\n"));
      return absl::OkStatus();
    });
  });
}

}  // namespace

void AddDiskCommand(CLI::App& app, Cli& cli) {
  CLI::App* disk =
      AddVerb(app, "disk", "add, grow or remove a VM's disks", "vpvm disk add web-1 --size 20G");
  disk->require_subcommand(1);
  AddDiskAdd(*disk, cli);
  AddDiskResize(*disk, cli);
  AddDiskRemove(*disk, cli);
}

}  // namespace vpvm::cli
