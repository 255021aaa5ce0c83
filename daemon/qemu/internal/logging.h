#pragma once

// The "qemu" spdlog logger shared by everything in daemon/qemu.

#include <memory>
#include <string_view>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace vpvm::qemu::internal {

// Returns the logger registered as "qemu", registering a stderr logger under that name when the
// composition root has not made one. Never null.
std::shared_ptr<spdlog::logger> Logger();

// Debian's Abseil has a string_view of its own, which fmt does not format; log it through this.
inline std::string_view Sv(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace vpvm::qemu::internal
