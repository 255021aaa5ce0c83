#pragma once

// TokenService: token management for the master token (the gate admits no one else).

#include <string>

#include "daemon/dispatcher.h"
#include "daemon/sessions.h"
#include "daemon/vm_directory.h"
#include "libauth/clock.h"
#include "libauth/last_used_recorder.h"
#include "libauth/token_store.h"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::daemon {

class TokenHandlers {
 public:
  TokenHandlers(auth::TokenStore& store, const VmDirectory& vms,
                const auth::LastUsedRecorder& recorder, const auth::Clock& clock,
                SessionStore& sessions, std::string master_token_path);

  void Register(Dispatcher& dispatcher);

 private:
  absl::Status Create(const CallContext&, const v1::CreateTokenRequest&, v1::CreateTokenResponse*);
  absl::Status Get(const CallContext&, const v1::GetTokenRequest&, v1::Token*);
  absl::Status List(const CallContext&, const v1::ListTokensRequest&, v1::ListTokensResponse*);
  absl::Status Update(const CallContext&, const v1::UpdateTokenRequest&, v1::Token*);
  absl::Status Rotate(const CallContext&, const v1::RotateTokenRequest&, v1::RotateTokenResponse*);
  absl::Status Disable(const CallContext&, const v1::DisableTokenRequest&, v1::Token*);
  absl::Status Enable(const CallContext&, const v1::EnableTokenRequest&, v1::Token*);
  absl::Status Revoke(const CallContext&, const v1::RevokeTokenRequest&, v1::RevokeTokenResponse*);
  absl::Status DisableTwoFactor(const CallContext&, const v1::DisableTokenTwoFactorRequest&,
                                v1::Token*);
  absl::Status RotateMaster(const CallContext&, const v1::RotateMasterTokenRequest&,
                            v1::RotateMasterTokenResponse*);

  // The VM list of a request, each VM resolved by id or name; unknown VMs are refused.
  absl::StatusOr<auth::VmScope> ResolveScope(const v1::VmScope& requested) const;
  v1::Token View(const auth::Token& token) const;

  auth::TokenStore& store_;
  SessionStore& sessions_;  // a token's secret, status or 2FA changing ends its sessions
  const VmDirectory& vms_;
  const auth::LastUsedRecorder& recorder_;
  const auth::Clock& clock_;
  const std::string master_token_path_;
};

}  // namespace vpvm::daemon
