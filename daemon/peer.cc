#include "daemon/peer.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace vpvm::daemon {
namespace {

// "%5B" and "%5D" are how gRPC writes the brackets of an IPv6 literal.
std::string DecodeBrackets(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      absl::string_view code = text.substr(i + 1, 2);
      if (code == "5B" || code == "5b") {
        out.push_back('[');
        i += 2;
        continue;
      }
      if (code == "5D" || code == "5d") {
        out.push_back(']');
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// A v4-mapped v6 address ("::ffff:192.0.2.7") is the v4 address.
std::string Canonical(const std::string& address) {
  in6_addr v6;
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    char text[INET6_ADDRSTRLEN];
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6, text, sizeof(text));
    }
    return text;
  }
  return address;
}

}  // namespace

std::string NormalizePeer(absl::string_view grpc_peer) {
  absl::string_view peer = grpc_peer;
  if (absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "unix-abstract:")) {
    return std::string(kUnixPeer);
  }
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    return std::string(peer.substr(0, peer.rfind(':')));
  }
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    std::string decoded = DecodeBrackets(peer);
    if (!decoded.empty() && decoded.front() == '[') {
      const size_t close = decoded.find(']');
      if (close != std::string::npos) return Canonical(decoded.substr(1, close - 1));
    }
    return Canonical(decoded);
  }
  return std::string(grpc_peer);
}

}  // namespace vpvm::daemon
