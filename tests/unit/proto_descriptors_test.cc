// Checks the declarations every vpvm.v1 RPC must carry: an access rule the gate can enforce and an
// HTTP route the gateway can serve.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "vpvm/v1/access.pb.h"
#include "vpvm/v1/host_service.grpc.pb.h"
#include "vpvm/v1/session_service.grpc.pb.h"
#include "vpvm/v1/system_service.grpc.pb.h"
#include "vpvm/v1/token_service.grpc.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::v1 {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr char kPackage[] = "vpvm.v1";

// Naming a message of each file links that file into the binary, and so into the generated pool.
struct ExpectedService {
  const char* full_name;
  const Descriptor* linked_message;
};

std::vector<ExpectedService> ExpectedServices() {
  return {
      {VmService::service_full_name(), GetVmRequest::descriptor()},
      {HostService::service_full_name(), ListTemplatesRequest::descriptor()},
      {TokenService::service_full_name(), GetTokenRequest::descriptor()},
      {SessionService::service_full_name(), SignInRequest::descriptor()},
      {SystemService::service_full_name(), GetVersionRequest::descriptor()},
  };
}

std::vector<const ServiceDescriptor*> Services() {
  std::vector<const ServiceDescriptor*> services;
  for (const ExpectedService& expected : ExpectedServices()) {
    const ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(expected.full_name);
    if (service != nullptr) services.push_back(service);
  }
  return services;
}

std::vector<const MethodDescriptor*> Methods() {
  std::vector<const MethodDescriptor*> methods;
  for (const ServiceDescriptor* service : Services()) {
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}

const AccessRule& RuleOf(const MethodDescriptor* method) {
  return method->options().GetExtension(access);
}

struct Route {
  std::string verb;  // empty when the RPC has no route
  std::string path;
};

Route RouteOf(const MethodDescriptor* method) {
  const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"GET", rule.get()};
    case google::api::HttpRule::kPut:
      return {"PUT", rule.put()};
    case google::api::HttpRule::kPost:
      return {"POST", rule.post()};
    case google::api::HttpRule::kDelete:
      return {"DELETE", rule.delete_()};
    case google::api::HttpRule::kPatch:
      return {"PATCH", rule.patch()};
    case google::api::HttpRule::kCustom:
      return {rule.custom().kind(), rule.custom().path()};
    case google::api::HttpRule::PATTERN_NOT_SET:
      break;
  }
  return {};
}

// The variable names of a path template: "/v1/vms/{vm}/disks/{disk=*}" gives "vm", "disk".
std::vector<std::string> PathVariables(const std::string& path) {
  std::vector<std::string> variables;
  size_t open = path.find('{');
  while (open != std::string::npos) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    const std::string inside = path.substr(open + 1, close - open - 1);
    variables.push_back(inside.substr(0, inside.find('=')));
    open = path.find('{', close);
  }
  return variables;
}

// A path template with every variable replaced by "*": routes of the same shape collide.
std::string PathShape(std::string path) {
  size_t open = path.find('{');
  while (open != std::string::npos) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    path.replace(open, close - open + 1, "*");
    open = path.find('{', open + 1);
  }
  return path;
}

// Follows a dotted field path ("vm", "parent.id") through `message`; null if any step is missing.
const FieldDescriptor* FindFieldPath(const Descriptor* message, const std::string& field_path) {
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(field_path, '.')) {
    if (message == nullptr) return nullptr;
    field = message->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
    message = field->message_type();
  }
  return field;
}

bool IsSingularString(const FieldDescriptor* field) {
  return field != nullptr && field->type() == FieldDescriptor::TYPE_STRING && !field->is_repeated();
}

std::string Name(const MethodDescriptor* method) {
  return absl::StrCat(method->service()->name(), ".", method->name());
}

TEST(ProtoDescriptorsTest, GeneratedPoolHoldsEveryExpectedService) {
  for (const ExpectedService& expected : ExpectedServices()) {
    const ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(expected.full_name);
    ASSERT_NE(service, nullptr) << expected.full_name;
    EXPECT_EQ(service->file(), expected.linked_message->file()) << expected.full_name;
    EXPECT_EQ(service->file()->package(), kPackage);
  }
  EXPECT_EQ(Services().size(), 5u);
  EXPECT_GT(Methods().size(), 0u);
}

TEST(ProtoDescriptorsTest, DescriptorSetDeclaresExactlyTheServicesUnderTest) {
  std::ifstream in(VPVM_DESCRIPTOR_SET, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << VPVM_DESCRIPTOR_SET;
  FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromIstream(&in));

  std::vector<std::string> in_set;
  for (const auto& file : set.file()) {
    // Every vpvm package counts, so that a service in a sub-package cannot slip past.
    if (!absl::StartsWith(file.package(), "vpvm.") && file.package() != "vpvm") continue;
    for (const auto& service : file.service()) {
      in_set.push_back(absl::StrCat(file.package(), ".", service.name()));
    }
  }
  std::vector<std::string> under_test;
  for (const ServiceDescriptor* service : Services()) under_test.push_back(service->full_name());

  EXPECT_THAT(in_set, UnorderedElementsAreArray(under_test));
}

TEST(ProtoDescriptorsTest, EveryRpcDeclaresAnAccessKind) {
  std::vector<std::string> undeclared;
  for (const MethodDescriptor* method : Methods()) {
    if (!method->options().HasExtension(access) ||
        RuleOf(method).kind() == AccessRule::KIND_UNSPECIFIED) {
      undeclared.push_back(Name(method));
    }
  }
  EXPECT_THAT(undeclared, IsEmpty());
}

TEST(ProtoDescriptorsTest, EveryRpcHasAnHttpRoute) {
  std::vector<std::string> unrouted;
  for (const MethodDescriptor* method : Methods()) {
    const Route route = RouteOf(method);
    if (route.verb.empty() || route.path.rfind("/v1/", 0) != 0) unrouted.push_back(Name(method));
  }
  EXPECT_THAT(unrouted, IsEmpty());
}

TEST(ProtoDescriptorsTest, VmRulesNameASingularStringFieldOfTheRequest) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    if (rule.kind() == AccessRule::KIND_VM && rule.vm_field().empty()) {
      broken.push_back(absl::StrCat(Name(method), ": no vm_field"));
    }
    if (!rule.vm_field().empty() &&
        !IsSingularString(method->input_type()->FindFieldByName(rule.vm_field()))) {
      broken.push_back(absl::StrCat(Name(method), ": vm_field \"", rule.vm_field(),
                                    "\" is not a string field of ", method->input_type()->name()));
    }
  }
  EXPECT_THAT(broken, IsEmpty());
}

TEST(ProtoDescriptorsTest, ExtendedRulesNameAPermission) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    if (rule.kind() == AccessRule::KIND_EXTENDED &&
        rule.permission() == EXTENDED_PERMISSION_UNSPECIFIED) {
      broken.push_back(Name(method));
    }
  }
  EXPECT_THAT(broken, IsEmpty());
}

TEST(ProtoDescriptorsTest, VmRulesNameALevel) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    const bool needs_level = rule.kind() == AccessRule::KIND_VM ||
                             rule.kind() == AccessRule::KIND_VM_LIST ||
                             rule.kind() == AccessRule::KIND_ALL_VMS;
    if (needs_level && rule.level() == ACCESS_LEVEL_UNSPECIFIED) broken.push_back(Name(method));
  }
  EXPECT_THAT(broken, IsEmpty());
}

// A field the gate ignores for a kind would mislead whoever reads the proto.
TEST(ProtoDescriptorsTest, RulesSetOnlyTheFieldsTheirKindUses) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    const AccessRule::Kind kind = rule.kind();
    const bool uses_level = kind == AccessRule::KIND_VM || kind == AccessRule::KIND_VM_LIST ||
                            kind == AccessRule::KIND_ALL_VMS;
    const bool uses_vm_field = kind == AccessRule::KIND_VM || kind == AccessRule::KIND_ALL_VMS;
    const bool uses_permission = kind == AccessRule::KIND_EXTENDED;
    if (!uses_level && rule.level() != ACCESS_LEVEL_UNSPECIFIED) {
      broken.push_back(absl::StrCat(Name(method), ": level"));
    }
    if (!uses_vm_field && !rule.vm_field().empty()) {
      broken.push_back(absl::StrCat(Name(method), ": vm_field"));
    }
    if (!uses_permission && rule.permission() != EXTENDED_PERMISSION_UNSPECIFIED) {
      broken.push_back(absl::StrCat(Name(method), ": permission"));
    }
  }
  EXPECT_THAT(broken, IsEmpty());
}

TEST(ProtoDescriptorsTest, RoutePathVariablesAreFieldsOfTheRequest) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    for (const std::string& variable : PathVariables(RouteOf(method).path)) {
      const FieldDescriptor* field = FindFieldPath(method->input_type(), variable);
      if (field == nullptr || field->is_repeated() || field->message_type() != nullptr) {
        broken.push_back(absl::StrCat(Name(method), ": {", variable, "}"));
      }
    }
  }
  EXPECT_THAT(broken, IsEmpty());
}

// A VM named in the path is the VM the gate checks, so the URL and the rule cannot disagree.
TEST(ProtoDescriptorsTest, VmRoutesCarryTheRulesVmFieldInThePath) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    if (rule.vm_field().empty()) continue;
    const std::vector<std::string> variables = PathVariables(RouteOf(method).path);
    if (std::find(variables.begin(), variables.end(), rule.vm_field()) == variables.end()) {
      broken.push_back(Name(method));
    }
  }
  EXPECT_THAT(broken, IsEmpty());
}

TEST(ProtoDescriptorsTest, OnlyPostPutAndPatchRoutesTakeABody) {
  std::vector<std::string> broken;
  for (const MethodDescriptor* method : Methods()) {
    const std::string& verb = RouteOf(method).verb;
    const bool has_body = !method->options().GetExtension(google::api::http).body().empty();
    const bool wants_body = verb == "POST" || verb == "PUT" || verb == "PATCH";
    if (has_body != wants_body) broken.push_back(absl::StrCat(Name(method), ": ", verb));
  }
  EXPECT_THAT(broken, IsEmpty());
}

TEST(ProtoDescriptorsTest, NoTwoRpcsShareARoute) {
  std::map<std::string, std::string> owner_by_route;
  std::vector<std::string> clashes;
  for (const MethodDescriptor* method : Methods()) {
    const Route route = RouteOf(method);
    const std::string key = absl::StrCat(route.verb, " ", PathShape(route.path));
    const auto [it, inserted] = owner_by_route.emplace(key, Name(method));
    if (!inserted) clashes.push_back(absl::StrCat(key, ": ", it->second, ", ", Name(method)));
  }
  EXPECT_THAT(clashes, IsEmpty());
}

// DESIGN.md section 4 as data. A new RPC fails here until someone decides who may call it.
TEST(ProtoDescriptorsTest, AccessRulesMatchTheDesignTable) {
  using K = AccessRule;
  constexpr auto kOperator = ACCESS_LEVEL_OPERATOR;
  constexpr auto kAdmin = ACCESS_LEVEL_ADMIN;
  constexpr auto kNone = ACCESS_LEVEL_UNSPECIFIED;
  const std::map<std::string, std::pair<AccessRule::Kind, AccessLevel>> expected = {
      {"VmService.ListVms", {K::KIND_VM_LIST, kOperator}},
      {"VmService.GetVm", {K::KIND_VM, kOperator}},
      {"VmService.CreateVm", {K::KIND_ALL_VMS, kAdmin}},
      {"VmService.DeleteVm", {K::KIND_ALL_VMS, kAdmin}},
      {"VmService.StartVm", {K::KIND_VM, kOperator}},
      {"VmService.StopVm", {K::KIND_VM, kOperator}},
      {"VmService.PauseVm", {K::KIND_VM, kOperator}},
      {"VmService.ResumeVm", {K::KIND_VM, kOperator}},
      {"VmService.RestartVm", {K::KIND_VM, kOperator}},
      {"VmService.SuspendVm", {K::KIND_VM, kOperator}},
      {"VmService.UpdateVm", {K::KIND_VM, kAdmin}},
      {"VmService.AddDisk", {K::KIND_VM, kAdmin}},
      {"VmService.ResizeDisk", {K::KIND_VM, kAdmin}},
      {"VmService.RemoveDisk", {K::KIND_VM, kAdmin}},
      {"VmService.AttachNetwork", {K::KIND_VM, kAdmin}},
      {"VmService.DetachNetwork", {K::KIND_VM, kAdmin}},
      {"VmService.ListSnapshots", {K::KIND_VM, kOperator}},
      {"VmService.CreateSnapshot", {K::KIND_VM, kAdmin}},
      {"VmService.RestoreSnapshot", {K::KIND_VM, kAdmin}},
      {"VmService.DeleteSnapshot", {K::KIND_VM, kAdmin}},
      {"HostService.ListTemplates", {K::KIND_EXTENDED, kNone}},
      {"HostService.ListNetworks", {K::KIND_EXTENDED, kNone}},
      {"HostService.ListImages", {K::KIND_EXTENDED, kNone}},
      {"TokenService.CreateToken", {K::KIND_MASTER, kNone}},
      {"TokenService.GetToken", {K::KIND_MASTER, kNone}},
      {"TokenService.ListTokens", {K::KIND_MASTER, kNone}},
      {"TokenService.UpdateToken", {K::KIND_MASTER, kNone}},
      {"TokenService.RotateToken", {K::KIND_MASTER, kNone}},
      {"TokenService.DisableToken", {K::KIND_MASTER, kNone}},
      {"TokenService.EnableToken", {K::KIND_MASTER, kNone}},
      {"TokenService.RevokeToken", {K::KIND_MASTER, kNone}},
      {"TokenService.DisableTokenTwoFactor", {K::KIND_MASTER, kNone}},
      {"TokenService.RotateMasterToken", {K::KIND_MASTER, kNone}},
      {"SessionService.SignIn", {K::KIND_PUBLIC, kNone}},
      {"SessionService.SignOut", {K::KIND_SELF, kNone}},
      {"SessionService.GetSession", {K::KIND_SELF, kNone}},
      {"SessionService.BeginTwoFactorEnrollment", {K::KIND_SELF, kNone}},
      {"SessionService.ConfirmTwoFactorEnrollment", {K::KIND_SELF, kNone}},
      {"SessionService.GetTwoFactorStatus", {K::KIND_SELF, kNone}},
      {"SystemService.GetVersion", {K::KIND_SELF, kNone}},
      {"SystemService.InspectSelf", {K::KIND_SELF, kNone}},
  };

  std::vector<std::string> mismatches;
  std::set<std::string> seen;
  for (const MethodDescriptor* method : Methods()) {
    const AccessRule& rule = RuleOf(method);
    seen.insert(Name(method));
    const auto it = expected.find(Name(method));
    if (it == expected.end()) {
      mismatches.push_back(absl::StrCat(Name(method), ": not in the table"));
    } else if (it->second != std::pair(rule.kind(), rule.level())) {
      mismatches.push_back(
          absl::StrCat(Name(method), ": want ", AccessRule::Kind_Name(it->second.first), " ",
                       AccessLevel_Name(it->second.second), ", got ",
                       AccessRule::Kind_Name(rule.kind()), " ", AccessLevel_Name(rule.level())));
    }
  }
  for (const auto& [name, unused] : expected) {
    if (!seen.contains(name)) mismatches.push_back(absl::StrCat(name, ": no such RPC"));
  }
  EXPECT_THAT(mismatches, IsEmpty());
}

TEST(ProtoDescriptorsTest, ExtendedRpcsNeedTheirMatchingPermission) {
  const std::map<std::string, ExtendedPermission> expected = {
      {"HostService.ListTemplates", EXTENDED_PERMISSION_TEMPLATES},
      {"HostService.ListNetworks", EXTENDED_PERMISSION_NETWORKS},
      {"HostService.ListImages", EXTENDED_PERMISSION_IMAGES},
  };
  std::map<std::string, ExtendedPermission> actual;
  for (const MethodDescriptor* method : Methods()) {
    if (RuleOf(method).kind() == AccessRule::KIND_EXTENDED) {
      actual[Name(method)] = RuleOf(method).permission();
    }
  }
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace vpvm::v1
