#pragma once

// How a VM is shown to people: a row of `vpvm list` and the block of `vpvm info`.

#include <string>
#include <vector>

#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::cli {

std::vector<std::string> VmListHeader();
std::vector<std::string> VmListRow(const v1::Vm& vm);

// Everything `vpvm info` prints.
std::string VmDetails(const v1::Vm& vm);

// "ubuntu-dev is running (kvm)."
std::string VmStateLine(const v1::Vm& vm);

}  // namespace vpvm::cli
