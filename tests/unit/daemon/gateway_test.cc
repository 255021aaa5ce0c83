#include "daemon/access_rules.h"
#include "daemon/gateway/route_table.h"
#include "daemon/gateway/transcoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vpvm/v1/token_service.pb.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::daemon::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const RouteTable& Table() {
  static const RouteTable* table = new RouteTable(*RouteTable::Build(ApiServices()));
  return *table;
}

TEST(RouteTableTest, EveryRpcOfTheApiHasARoute) {
  int methods = 0;
  for (const auto* service : ApiServices()) methods += service->method_count();
  EXPECT_EQ(static_cast<int>(Table().routes().size()), methods);
}

TEST(RouteTableTest, FindsMethodsAndBindsPathVariables) {
  absl::StatusOr<RouteMatch> match = Table().Find("POST", "/v1/vms/web-1/snapshots/s%201:restore");
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_EQ(match->route->method->name(), "RestoreSnapshot");
  ASSERT_EQ(match->bindings.size(), 2u);
  EXPECT_EQ(match->bindings[0].second, "web-1");
  EXPECT_EQ(match->bindings[1].second, "s 1");

  EXPECT_EQ(Table().Find("GET", "/v1/vms/web-1")->route->method->name(), "GetVm");
  EXPECT_EQ(Table().Find("GET", "/v1/vms")->route->method->name(), "ListVms");
  EXPECT_EQ(Table().Find("POST", "/v1/tokens/tok_1:rotate")->route->method->name(), "RotateToken");
}

TEST(RouteTableTest, UnknownPathsAndWrongVerbsAreToldApart) {
  EXPECT_TRUE(absl::IsNotFound(Table().Find("GET", "/v1/nothing").status()));
  EXPECT_TRUE(absl::IsNotFound(Table().Find("POST", "/v1/vms/web:explode").status()));
  EXPECT_TRUE(absl::IsNotFound(Table().Find("GET", "/v1/vms//snapshots").status()));
  std::vector<std::string> allowed;
  EXPECT_TRUE(absl::IsFailedPrecondition(Table().Find("PUT", "/v1/vms/web", &allowed).status()));
  EXPECT_THAT(allowed, UnorderedElementsAre("GET", "PATCH", "DELETE"));
}

TEST(PercentDecodeTest, DecodesAndRefusesBrokenEscapes) {
  EXPECT_EQ(*PercentDecode("a%2Fb%20c"), "a/b c");
  EXPECT_FALSE(PercentDecode("a%2").ok());
  EXPECT_FALSE(PercentDecode("a%zz").ok());
}

TEST(StrictJsonTest, RefusesWhatProtobufsParserLetsThrough) {
  const auto* type = v1::CreateTokenRequest::descriptor();
  EXPECT_TRUE(
      CheckStrictJson(R"({"label": "ci", "accessLevel": "ACCESS_LEVEL_ADMIN"})", type).ok());
  EXPECT_TRUE(CheckStrictJson(R"({"label": "ci", "access_level": 2})", type).ok());
  for (const char* bad : {R"({"label": "a", "label": "b"})", R"({"vmScope": {"allVms": "true"}})",
                          R"({"accessLevel": 9})", R"({"label": 5})", R"({"nope": 1})",
                          R"({"extendedPermissions": "EXTENDED_PERMISSION_IMAGES"})"}) {
    EXPECT_FALSE(CheckStrictJson(bad, type).ok()) << bad;
  }
}

TEST(StrictJsonTest, IntegersMustBeWholeAndInRange) {
  const auto* type = v1::ListVmsRequest::descriptor();
  EXPECT_TRUE(CheckStrictJson(R"({"pageSize": 10})", type).ok());
  EXPECT_TRUE(CheckStrictJson(R"({"pageSize": "10"})", type).ok());
  EXPECT_FALSE(CheckStrictJson(R"({"pageSize": 1.5})", type).ok());
  EXPECT_FALSE(CheckStrictJson(R"({"pageSize": 3000000000})", type).ok());
  EXPECT_FALSE(CheckStrictJson(R"({"pageSize": true})", type).ok());
}

TEST(BuildRequestTest, PathQueryAndBodyFillOneRequest) {
  absl::StatusOr<RouteMatch> match = Table().Find("POST", "/v1/vms/web:stop");
  ASSERT_TRUE(match.ok());
  v1::StopVmRequest request;
  ASSERT_TRUE(BuildRequest(*match, "", R"({"force": true, "timeout": "2.5s"})", &request).ok());
  EXPECT_EQ(request.vm(), "web");
  EXPECT_TRUE(request.force());
  EXPECT_EQ(request.timeout().seconds(), 2);

  v1::StopVmRequest contradicted;
  absl::Status status = BuildRequest(*match, "", R"({"vm": "db"})", &contradicted);
  EXPECT_THAT(status.message(), HasSubstr("differs"));

  match = Table().Find("GET", "/v1/vms");
  v1::ListVmsRequest list;
  ASSERT_TRUE(
      BuildRequest(*match, "page_size=5&filter=we%2Bb&state=VM_STATE_RUNNING", "", &list).ok());
  EXPECT_EQ(list.page_size(), 5);
  EXPECT_EQ(list.filter(), "we+b");
  EXPECT_EQ(list.state(), v1::VM_STATE_RUNNING);
  EXPECT_FALSE(BuildRequest(*match, "page_size=5&page_size=6", "", &list).ok());
  EXPECT_THAT(BuildRequest(*match, "", "{}", &list).message(), HasSubstr("takes no body"));
}

}  // namespace
}  // namespace vpvm::daemon::gateway
