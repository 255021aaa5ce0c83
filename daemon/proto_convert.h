#pragma once

// Conversions between libauth's types and the vpvm.v1 messages, shared by the handlers (and by
// the gateway, which speaks the same messages).

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/vm_directory.h"
#include "google/protobuf/timestamp.pb.h"
#include "libauth/last_used_recorder.h"
#include "libauth/token.h"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::daemon {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::StatusOr<absl::Time> FromTimestamp(const google::protobuf::Timestamp& t);

v1::AccessLevel ToProto(auth::AccessLevel level);
absl::StatusOr<auth::AccessLevel> FromProto(v1::AccessLevel level);

v1::TokenStatus ToProto(auth::TokenStatus status);

absl::StatusOr<auth::ExtendedPermission> FromProto(v1::ExtendedPermission permission);

void ToProto(const auth::ExtendedPermissions& permissions,
             google::protobuf::RepeatedField<int>* out);
absl::StatusOr<auth::ExtendedPermissions> FromProto(
    const google::protobuf::RepeatedField<int>& permissions);

void ToProto(const auth::VmScope& scope, v1::VmScope* out);

// A token as the API shows it at `now`: its status, days until expiry, the listed VMs that no
// longer exist, and its latest use (the recorder's, when newer than the stored one).
v1::Token TokenView(const auth::Token& token, absl::Time now, const VmDirectory& vms,
                    const auth::LastUsedRecorder& recorder);

}  // namespace vpvm::daemon
