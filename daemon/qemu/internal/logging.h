#pragma once

// The "qemu" spdlog logger shared by everything in daemon/qemu.

#include <memory>

#include "spdlog/spdlog.h"

namespace vpvm::qemu::internal {

// Returns the logger registered as "qemu", registering a stderr logger under that name when the
// composition root has not made one. Never null.
std::shared_ptr<spdlog::logger> Logger();

}  // namespace vpvm::qemu::internal
