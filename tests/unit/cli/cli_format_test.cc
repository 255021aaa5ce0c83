#include "cli/cli.h"
#include "cli/client/connection.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "gtest/gtest.h"

namespace vpvm::cli {
namespace {

TEST(ParseSizeTest, BinaryUnitsWithOrWithoutB) {
  EXPECT_EQ(*ParseSize("64M", "--memory"), 64ull << 20);
  EXPECT_EQ(*ParseSize("1G", "--memory"), 1ull << 30);
  EXPECT_EQ(*ParseSize("10GiB", "--disk"), 10ull << 30);
  EXPECT_EQ(*ParseSize("512kb", "--disk"), 512ull << 10);
  EXPECT_EQ(*ParseSize("1.5G", "--disk"), 3ull << 29);
  EXPECT_EQ(*ParseSize("2T", "--disk"), 2ull << 40);
}

TEST(ParseSizeTest, ABareNumberOrAnUnknownUnitIsRefusedNamingTheOption) {
  for (const char* bad : {"2048", "", "G", "10X", "-1G", "1..2G"}) {
    absl::StatusOr<uint64_t> size = ParseSize(bad, "--memory");
    ASSERT_FALSE(size.ok()) << bad;
    EXPECT_NE(size.status().message().find("--memory"), std::string::npos);
  }
}

TEST(ParseListTest, EmptyItemsAreRefused) {
  EXPECT_EQ(*ParseList("a, b,c", "--vms"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(ParseList("a,,b", "--vms").ok());
  EXPECT_FALSE(ParseList("", "--vms").ok());
}

TEST(ParseTokenOptionsTest, ScopesAndExtendedPermissions) {
  EXPECT_EQ(*ParseScope("Operator"), v1::ACCESS_LEVEL_OPERATOR);
  EXPECT_EQ(*ParseScope("admin"), v1::ACCESS_LEVEL_ADMIN);
  EXPECT_FALSE(ParseScope("root").ok());
  EXPECT_EQ(ParseExtended("templates,images")->size(), 2u);
  EXPECT_TRUE(ParseExtended("none")->empty());
  EXPECT_FALSE(ParseExtended("templates,bogus").ok());
}

TEST(TableTest, ColumnsAlignByCharactersNotBytesOrEscapes) {
  Table table({"A", "B"});
  table.Add({Paint("●", Colour::kGreen, true), "x"});
  table.Add({"ab", "y"});
  const std::string out = table.Render();
  EXPECT_NE(out.find("A   B\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ab  y\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\033[0m   x\n"), std::string::npos) << out;
}

TEST(FormatTest, BytesAndRelativeTimes) {
  EXPECT_EQ(FormatBytes(1ull << 30), "1 GiB");
  EXPECT_EQ(FormatBytes(3ull << 19), "1.5 MiB");
  EXPECT_EQ(FormatBytes(100), "100 B");
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(FormatAgo(now - absl::Seconds(5), now, utc), "just now");
  EXPECT_EQ(FormatAgo(now - absl::Minutes(5), now, utc), "5m ago");
  EXPECT_EQ(FormatAgo(now - absl::Hours(2), now, utc), "2h ago");
  EXPECT_EQ(FormatAgo(now - absl::Hours(72), now, utc), "3d ago");
}

TEST(ExitCodeTest, EachKindOfFailureHasItsOwnCode) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("")), kExitUnauthenticated);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("")), kExitPermissionDenied);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("")), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("")), kExitThrottled);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("")), kExitFailure);

  absl::Status untrusted = absl::UnavailableError("changed");
  untrusted.SetPayload(client::kCertificateProblem, absl::Cord("changed"));
  EXPECT_EQ(ExitCodeFor(untrusted), kExitUntrusted);
}

TEST(ExitCodeTest, ThrottledMessagesSayWhenToTryAgain) {
  absl::Status throttled = absl::ResourceExhaustedError("too many failed attempts");
  throttled.SetPayload(client::kRetryAfter, absl::Cord("6"));
  EXPECT_EQ(ErrorMessage(throttled), "too many failed attempts; try again in 6 s");
  absl::Status said = absl::ResourceExhaustedError("too many failed attempts; retry in 6 s");
  said.SetPayload(client::kRetryAfter, absl::Cord("6"));
  EXPECT_EQ(ErrorMessage(said), "too many failed attempts; retry in 6 s");
}

}  // namespace
}  // namespace vpvm::cli
