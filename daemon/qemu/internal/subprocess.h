#pragma once

// Running helper programs (qemu-img, the qemu-system launcher) without a shell.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vpvm::qemu::internal {

struct CommandResult {
  int exit_code = -1;   // -1 when the program ended by a signal
  int term_signal = 0;  // the signal that ended it, or 0
  std::string std_out;  // at most kMaxCapturedBytes of each stream are kept
  std::string std_err;

  bool ok() const { return exit_code == 0; }
};

inline constexpr size_t kMaxCapturedBytes = 1 << 20;

// Runs argv[0] (looked up in PATH) with argv, stdin on /dev/null and stdout/stderr captured,
// and waits until the program has ended and both streams are closed. Only descriptors 0-2 are
// passed on. Past `timeout` the program is killed and DeadlineExceeded returned. A program that
// cannot be started gives NotFound (missing) or Internal.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout);

// The last non-empty line of a program's stderr, for error messages ("" when there is none).
std::string LastLine(const std::string& text);

}  // namespace vpvm::qemu::internal
