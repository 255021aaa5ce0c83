#include "daemon/peer.h"

#include "gtest/gtest.h"

namespace vpvm::daemon {
namespace {

TEST(PeerTest, GrpcPeerStringsBecomeBareAddresses) {
  EXPECT_EQ(NormalizePeer("ipv4:127.0.0.1:52764"), "127.0.0.1");
  EXPECT_EQ(NormalizePeer("ipv6:%5B::1%5D:52764"), "::1");
  EXPECT_EQ(NormalizePeer("ipv6:[::1]:52764"), "::1");
  EXPECT_EQ(NormalizePeer("ipv6:%5B2001:DB8:0:0::1%5D:443"), "2001:db8::1");
  EXPECT_EQ(NormalizePeer("unix:/run/vpvm/vpvmd.sock"), "unix");
  EXPECT_EQ(NormalizePeer("unix:"), "unix");
}

TEST(PeerTest, V4MappedV6AddressIsTheV4Address) {
  EXPECT_EQ(NormalizePeer("ipv6:%5B::ffff:192.0.2.7%5D:1234"), "192.0.2.7");
}

}  // namespace
}  // namespace vpvm::daemon
