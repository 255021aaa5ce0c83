#pragma once

// The edge between absl::Status, used everywhere inside vpvm, and grpc::Status: codes map one to
// one and the message is kept.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace vpvm::daemon {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace vpvm::daemon
