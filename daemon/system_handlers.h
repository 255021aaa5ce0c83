#pragma once

// SystemService (the daemon's version, a token inspecting itself) and HostService (the catalogs
// behind the extended permissions).

#include "daemon/dispatcher.h"
#include "daemon/vm_directory.h"
#include "libauth/clock.h"
#include "vpvm/v1/host_service.pb.h"
#include "vpvm/v1/system_service.pb.h"

namespace vpvm::daemon {

inline constexpr char kApiVersion[] = "v1";

class SystemHandlers {
 public:
  SystemHandlers(const auth::Clock& clock, const VmDirectory& vms) : clock_(clock), vms_(vms) {}
  void Register(Dispatcher& dispatcher);

 private:
  absl::Status GetVersion(const CallContext&, const v1::GetVersionRequest&,
                          v1::GetVersionResponse*);
  absl::Status InspectSelf(const CallContext&, const v1::InspectSelfRequest&,
                           v1::InspectSelfResponse*);

  const auth::Clock& clock_;
  const VmDirectory& vms_;
};

}  // namespace vpvm::daemon
