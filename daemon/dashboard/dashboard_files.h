#pragma once

// The web dashboard's files (daemon/dashboard/), compiled into the daemon at build time, with the
// paths the gateway serves them at: the sign-in page at "/", the settings page at "/settings".

#include <string_view>
#include <vector>

namespace vpvm::daemon {

struct DashboardFile {
  std::string_view path;  // "/", "/settings", "/dashboard.js", ...
  std::string_view content_type;
  std::string_view body;
};

const std::vector<DashboardFile>& DashboardFiles();

}  // namespace vpvm::daemon
