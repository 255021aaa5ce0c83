#pragma once

// Client addresses as vpvm shows, logs and throttles them: gRPC's peer strings normalised to a
// bare address ("ipv6:%5B::1%5D:52764" -> "::1", "ipv4:127.0.0.1:52764" -> "127.0.0.1"), and
// "unix" for the local socket.

#include <string>

#include "absl/strings/string_view.h"

namespace vpvm::daemon {

inline constexpr absl::string_view kUnixPeer = "unix";

std::string NormalizePeer(absl::string_view grpc_peer);

}  // namespace vpvm::daemon
