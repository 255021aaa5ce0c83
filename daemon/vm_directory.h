#pragma once

// What the access gate and the token handlers need to know about VMs: which VM a name or id
// means, and whether a VM id still exists. The VM manager answers it.

#include <optional>

#include "absl/strings/string_view.h"
#include "libauth/token.h"

namespace vpvm::daemon {

class VmDirectory {
 public:
  virtual ~VmDirectory() = default;
  // The VM whose id, or else whose name, is `id_or_name`.
  virtual std::optional<auth::VmRef> Find(absl::string_view id_or_name) const = 0;
  // Whether a VM with this immutable id exists (names never count).
  virtual bool Exists(absl::string_view id) const = 0;
};

}  // namespace vpvm::daemon
