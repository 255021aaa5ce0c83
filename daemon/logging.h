#pragma once

// The daemon's loggers: one per subsystem ("daemon", "rpc", "auth", "store", "qemu",
// "gateway"), all writing to stderr in a form the journal takes as it is. Token IDs may be
// logged; secrets and hashes never.

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// Debian's Abseil has a string_view of its own, which fmt does not know.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::string_view text, Context& context) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()),
                                                    context);
  }
};

namespace vpvm::daemon {

// Sets the level of every logger: trace, debug, info, warn, error, critical or off.
absl::Status SetLogLevel(absl::string_view level);

// The logger of `subsystem`, made on first use.
std::shared_ptr<spdlog::logger> Logger(absl::string_view subsystem);

}  // namespace vpvm::daemon
