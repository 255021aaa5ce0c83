#include "daemon/logging.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace vpvm::daemon {

std::shared_ptr<spdlog::logger> Logger(absl::string_view subsystem) {
  const std::string name(subsystem);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  // Under systemd the journal stamps each line itself.
  logger->set_pattern(getenv("JOURNAL_STREAM") != nullptr ? "<%l> %n: %v"
                                                          : "%Y-%m-%dT%H:%M:%S.%e %l %n: %v");
  return logger;
}

absl::Status SetLogLevel(absl::string_view level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown log level \"", level, "\"; use trace, debug, info, warn, error or off"));
  }
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
