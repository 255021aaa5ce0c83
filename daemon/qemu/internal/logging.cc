#include "daemon/qemu/internal/logging.h"

#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace vpvm::qemu::internal {

std::shared_ptr<spdlog::logger> Logger() {
  if (auto logger = spdlog::get("qemu")) return logger;

  // get() and register are two steps: serialise our own creation, and tolerate the composition
  // root registering the name in between (register_logger then throws).
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (auto logger = spdlog::get("qemu")) return logger;
  auto logger = std::make_shared<spdlog::logger>(
      "qemu", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  try {
    spdlog::initialize_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    if (auto existing = spdlog::get("qemu")) return existing;
  }
  return logger;
}

}  // namespace vpvm::qemu::internal
