#include "daemon/dispatcher.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"
#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::daemon {
namespace {

// A call from `peer` presenting `secret`, with no dashboard session.
IncomingCall Call(const google::protobuf::MethodDescriptor* method, std::string peer,
                  std::optional<std::string> secret) {
  IncomingCall call;
  call.method = method;
  call.peer = std::move(peer);
  call.presented_secret = std::move(secret);
  return call;
}

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// VMs as a fixed table of id -> name.
class FakeVmDirectory final : public VmDirectory {
 public:
  explicit FakeVmDirectory(absl::flat_hash_map<std::string, std::string> vms)
      : vms_(std::move(vms)) {}
  std::optional<auth::VmRef> Find(absl::string_view id_or_name) const override {
    if (auto it = vms_.find(id_or_name); it != vms_.end())
      return auth::VmRef{it->first, it->second};
    for (const auto& [id, name] : vms_) {
      if (name == id_or_name) return auth::VmRef{id, name};
    }
    return std::nullopt;
  }
  bool Exists(absl::string_view id) const override { return vms_.contains(id); }

 private:
  absl::flat_hash_map<std::string, std::string> vms_;
};

const google::protobuf::MethodDescriptor* Method(const std::string& full_name) {
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = auth::TokenStore::Open(dir_.File("vpvm.db"), clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    auto rules = AccessRules::Load();
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::move(*rules);
    recorder_ = std::make_unique<auth::LastUsedRecorder>(*store_);
    dispatcher_ =
        std::make_unique<Dispatcher>(rules_, *store_, *recorder_, throttle_, vms_, clock_);
    dispatcher_->Handle<v1::GetVmRequest, v1::Vm>(
        "vpvm.v1.VmService.GetVm",
        [this](const CallContext& context, const v1::GetVmRequest&, v1::Vm* vm) {
          ++handled_;
          vm->set_id(*context.vm->id);
          return absl::OkStatus();
        });
  }

  std::string Issue(auth::AccessLevel level, auth::VmScope scope,
                    std::optional<absl::Time> expires = std::nullopt) {
    auth::TokenSpec spec;
    spec.label = "t";
    spec.access_level = level;
    spec.vm_scope = std::move(scope);
    spec.expires_at = expires;
    auto issued = store_->Create(spec);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued->secret;
  }

  absl::Status GetVm(std::optional<std::string> secret, const std::string& vm,
                     const std::string& peer = "192.0.2.10") {
    v1::GetVmRequest request;
    request.set_vm(vm);
    v1::Vm response;
    return dispatcher_->Invoke(Call(Method("vpvm.v1.VmService.GetVm"), peer, std::move(secret)),
                               request, &response);
  }

  testing::TempDir dir_;
  auth::FakeClock clock_{kStart};
  auth::OsRandom random_;
  std::unique_ptr<auth::TokenStore> store_;
  AccessRules rules_;
  FailureThrottle throttle_{clock_, {.burst = 3, .refill = absl::Minutes(1)}};
  FakeVmDirectory vms_{{{"id-web", "web"}, {"id-db", "db"}}};
  std::unique_ptr<auth::LastUsedRecorder> recorder_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int handled_ = 0;
};

const auth::VmScope kWebOnly{false, {{"id-web", "web"}}};

TEST_F(DispatcherTest, AllowedCallReachesTheHandlerWithTheResolvedVm) {
  const std::string secret = Issue(auth::AccessLevel::kOperator, kWebOnly);
  v1::GetVmRequest request;
  request.set_vm("web");
  v1::Vm response;
  ASSERT_TRUE(dispatcher_
                  ->Invoke(Call(Method("vpvm.v1.VmService.GetVm"), "192.0.2.10", secret), request,
                           &response)
                  .ok());
  EXPECT_EQ(response.id(), "id-web");
}

TEST_F(DispatcherTest, MissingMalformedAndUnknownTokensAreUnauthenticated) {
  EXPECT_THAT(GetVm(std::nullopt, "web").message(), HasSubstr("no token"));
  EXPECT_EQ(GetVm("vpvm_nonsense", "web").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetVm(*auth::GenerateSecret(random_), "web").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(handled_, 0);
}

TEST_F(DispatcherTest, ChangesToATokenApplyToTheVeryNextCall) {
  const std::string secret = Issue(auth::AccessLevel::kOperator, kWebOnly, kStart + absl::Hours(1));
  const std::string id = (*store_->Verify(secret))->id;
  EXPECT_TRUE(GetVm(secret, "web").ok());

  ASSERT_TRUE(store_->SetDisabled(id, true).ok());
  EXPECT_THAT(GetVm(secret, "web").message(), HasSubstr("disabled"));
  ASSERT_TRUE(store_->SetDisabled(id, false).ok());
  EXPECT_TRUE(GetVm(secret, "web").ok());

  auth::TokenEdit narrow;
  narrow.vm_scope = auth::VmScope{false, {{"id-db", "db"}}};
  ASSERT_TRUE(store_->Edit(id, narrow).ok());
  EXPECT_EQ(GetVm(secret, "web").code(), absl::StatusCode::kNotFound);

  auto rotated = store_->Rotate(id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(GetVm(secret, "db").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(GetVm(rotated->secret, "db").ok());

  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(GetVm(rotated->secret, "db").message(), HasSubstr("expired"));

  ASSERT_TRUE(store_->Revoke(id).ok());
  EXPECT_THAT(GetVm(rotated->secret, "db").message(), HasSubstr("unknown token"));
}

TEST_F(DispatcherTest, OutOfScopeVmAnswersExactlyLikeAMissingOne) {
  const std::string secret = Issue(auth::AccessLevel::kOperator, kWebOnly);
  absl::Status hidden = GetVm(secret, "db");
  absl::Status missing = GetVm(secret, "nothing-here");
  EXPECT_EQ(hidden.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(hidden.code(), missing.code());
  EXPECT_EQ(hidden.message(), absl::StrReplaceAll(missing.message(), {{"nothing-here", "db"}}));
  // By id too.
  EXPECT_EQ(GetVm(secret, "id-db").message(),
            absl::StrReplaceAll(missing.message(), {{"nothing-here", "id-db"}}));
}

TEST_F(DispatcherTest, EmptyVmFieldIsABadRequestNotAccessToEveryVm) {
  const std::string secret = Issue(auth::AccessLevel::kAdmin, auth::VmScope::All());
  EXPECT_EQ(GetVm(secret, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(handled_, 0);
}

TEST_F(DispatcherTest, FailedAttemptsAreThrottledPerAddress) {
  const std::string valid = Issue(auth::AccessLevel::kAdmin, auth::VmScope::All());
  const std::string wrong = *auth::GenerateSecret(random_);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(GetVm(wrong, "web", "192.0.2.66").code(), absl::StatusCode::kUnauthenticated);
  }
  absl::Status throttled = GetVm(wrong, "web", "192.0.2.66");
  EXPECT_EQ(throttled.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(throttled.message(), HasSubstr("retry in"));
  // The guesser's address is held back, whatever it sends; everyone else is not.
  EXPECT_EQ(GetVm(valid, "web", "192.0.2.66").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(GetVm(valid, "web", "192.0.2.67").ok());
  // Calls without a token are refused, not counted.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(GetVm(std::nullopt, "web", "192.0.2.68").code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(GetVm(valid, "web", "192.0.2.68").ok());
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(GetVm(valid, "web", "192.0.2.66").ok());
}

TEST_F(DispatcherTest, LocalSocketIsNeverThrottled) {
  const std::string valid = Issue(auth::AccessLevel::kAdmin, auth::VmScope::All());
  const std::string wrong = *auth::GenerateSecret(random_);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(GetVm(wrong, "web", "unix").code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(GetVm(valid, "web", "unix").ok());
}

TEST_F(DispatcherTest, AuthenticatedCallsRecordLastUseWithoutWriting) {
  const std::string secret = Issue(auth::AccessLevel::kOperator, kWebOnly);
  const std::string id = (*store_->Verify(secret))->id;
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(GetVm(secret, "web", "198.51.100.4").ok());
  std::optional<auth::LastUse> pending = recorder_->Pending(id);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->client_address, "198.51.100.4");
  EXPECT_EQ(pending->at, kStart + absl::Seconds(3));
  EXPECT_FALSE(store_->Get(id)->last_used_at.has_value());  // not on the request path
  ASSERT_TRUE(recorder_->Flush().ok());
  EXPECT_EQ(store_->Get(id)->last_used_address, "198.51.100.4");
}

TEST_F(DispatcherTest, MethodWithoutDeclarationIsRefused) {
  v1::GetVmRequest request;
  v1::Vm response;
  EXPECT_EQ(dispatcher_->Invoke(Call(nullptr, "unix", std::nullopt), request, &response).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(DispatcherTest, AllowedMethodWithoutHandlerIsUnimplementedOnlyAfterTheGate) {
  v1::UpdateVmRequest request;
  request.set_vm("web");
  v1::Vm response;
  const auto* update = Method("vpvm.v1.VmService.UpdateVm");
  const std::string op = Issue(auth::AccessLevel::kOperator, kWebOnly);
  const std::string admin = Issue(auth::AccessLevel::kAdmin, kWebOnly);
  EXPECT_EQ(dispatcher_->Invoke(Call(update, "unix", std::nullopt), request, &response).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(dispatcher_->Invoke(Call(update, "unix", op), request, &response).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(dispatcher_->Invoke(Call(update, "unix", admin), request, &response).code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace vpvm::daemon
