#include "daemon/token_handlers.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "daemon/logging.h"
#include "daemon/proto_convert.h"
#include "libauth/master_token.h"
#include "vpvm/v1/token_service.grpc.pb.h"

namespace vpvm::daemon {
namespace {

constexpr char kService[] = "vpvm.v1.TokenService.";

absl::Status Log(const absl::Status& status, absl::string_view what, absl::string_view id) {
  if (status.ok()) Logger("auth")->info("{} {}", what, id);
  return status;
}

absl::StatusOr<auth::TokenStore::StatusFilter> Filter(v1::TokenStatus status) {
  using F = auth::TokenStore::StatusFilter;
  switch (status) {
    case v1::TOKEN_STATUS_UNSPECIFIED:
      return F::kAll;
    case v1::TOKEN_STATUS_ACTIVE:
      return F::kActive;
    case v1::TOKEN_STATUS_DISABLED:
      return F::kDisabled;
    case v1::TOKEN_STATUS_EXPIRED:
      return F::kExpired;
    default:
      return absl::InvalidArgumentError("unknown status filter");
  }
}

}  // namespace

TokenHandlers::TokenHandlers(auth::TokenStore& store, const VmDirectory& vms,
                             const auth::LastUsedRecorder& recorder, const auth::Clock& clock,
                             SessionStore& sessions, std::string master_token_path)
    : store_(store),
      sessions_(sessions),
      vms_(vms),
      recorder_(recorder),
      clock_(clock),
      master_token_path_(std::move(master_token_path)) {}

void TokenHandlers::Register(Dispatcher& d) {
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  auto name = [](absl::string_view method) { return absl::StrCat(kService, method); };
  d.Handle<v1::CreateTokenRequest, v1::CreateTokenResponse>(
      name("CreateToken"), std::bind(&TokenHandlers::Create, this, _1, _2, _3));
  d.Handle<v1::GetTokenRequest, v1::Token>(name("GetToken"),
                                           std::bind(&TokenHandlers::Get, this, _1, _2, _3));
  d.Handle<v1::ListTokensRequest, v1::ListTokensResponse>(
      name("ListTokens"), std::bind(&TokenHandlers::List, this, _1, _2, _3));
  d.Handle<v1::UpdateTokenRequest, v1::Token>(name("UpdateToken"),
                                              std::bind(&TokenHandlers::Update, this, _1, _2, _3));
  d.Handle<v1::RotateTokenRequest, v1::RotateTokenResponse>(
      name("RotateToken"), std::bind(&TokenHandlers::Rotate, this, _1, _2, _3));
  d.Handle<v1::DisableTokenRequest, v1::Token>(
      name("DisableToken"), std::bind(&TokenHandlers::Disable, this, _1, _2, _3));
  d.Handle<v1::EnableTokenRequest, v1::Token>(name("EnableToken"),
                                              std::bind(&TokenHandlers::Enable, this, _1, _2, _3));
  d.Handle<v1::RevokeTokenRequest, v1::RevokeTokenResponse>(
      name("RevokeToken"), std::bind(&TokenHandlers::Revoke, this, _1, _2, _3));
  d.Handle<v1::DisableTokenTwoFactorRequest, v1::Token>(
      name("DisableTokenTwoFactor"), std::bind(&TokenHandlers::DisableTwoFactor, this, _1, _2, _3));
  d.Handle<v1::RotateMasterTokenRequest, v1::RotateMasterTokenResponse>(
      name("RotateMasterToken"), std::bind(&TokenHandlers::RotateMaster, this, _1, _2, _3));
}

v1::Token TokenHandlers::View(const auth::Token& token) const {
  return TokenView(token, clock_.Now(), vms_, recorder_);
}

absl::StatusOr<auth::VmScope> TokenHandlers::ResolveScope(const v1::VmScope& requested) const {
  auth::VmScope scope;
  scope.all_vms = requested.all_vms();
  if (scope.all_vms) {
    if (requested.vms_size() > 0) {
      return absl::InvalidArgumentError(
          "a token is scoped either to All VMs or to a VM list, not both");
    }
    return scope;
  }
  std::vector<std::string> unknown;
  for (const v1::VmRef& ref : requested.vms()) {
    const std::string& named = ref.id().empty() ? ref.name() : ref.id();
    if (std::optional<auth::VmRef> vm = vms_.Find(named)) {
      scope.vms.push_back(*vm);
    } else {
      unknown.push_back(absl::StrCat("\"", named, "\""));
    }
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown VM", unknown.size() > 1 ? "s " : " ", absl::StrJoin(unknown, ", ")));
  }
  return scope;
}

absl::Status TokenHandlers::Create(const CallContext&, const v1::CreateTokenRequest& request,
                                   v1::CreateTokenResponse* response) {
  auth::TokenSpec spec;
  spec.label = request.label();
  VPVM_ASSIGN_OR_RETURN(spec.access_level, FromProto(request.access_level()));
  VPVM_ASSIGN_OR_RETURN(spec.vm_scope, ResolveScope(request.vm_scope()));
  VPVM_ASSIGN_OR_RETURN(spec.extended, FromProto(request.extended_permissions()));
  if (request.has_expire_time()) {
    VPVM_ASSIGN_OR_RETURN(spec.expires_at, FromTimestamp(request.expire_time()));
  }
  VPVM_ASSIGN_OR_RETURN(auth::TokenStore::Issued issued, store_.Create(spec));
  *response->mutable_token() = View(issued.token);
  response->set_secret(std::move(issued.secret));
  return Log(absl::OkStatus(), "created token", issued.token.id);
}

absl::Status TokenHandlers::Get(const CallContext&, const v1::GetTokenRequest& request,
                                v1::Token* response) {
  VPVM_ASSIGN_OR_RETURN(auth::Token token, store_.Get(request.token_id()));
  *response = View(token);
  return absl::OkStatus();
}

absl::Status TokenHandlers::List(const CallContext&, const v1::ListTokensRequest& request,
                                 v1::ListTokensResponse* response) {
  auth::TokenStore::ListQuery query;
  VPVM_ASSIGN_OR_RETURN(query.status, Filter(request.status()));
  query.search = request.search();
  query.page_size = request.page_size();
  query.page_token = request.page_token();
  VPVM_ASSIGN_OR_RETURN(auth::TokenStore::Page page, store_.List(query));
  for (const auth::Token& token : page.tokens) *response->add_tokens() = View(token);
  response->set_next_page_token(page.next_page_token);
  response->set_total_size(static_cast<int32_t>(page.total_size));
  return absl::OkStatus();
}

absl::Status TokenHandlers::Update(const CallContext&, const v1::UpdateTokenRequest& request,
                                   v1::Token* response) {
  if (request.update_mask().paths_size() == 0) {
    return absl::InvalidArgumentError(
        "the update mask is empty; name the fields to change (label, access_level, vm_scope, "
        "extended_permissions, expire_time)");
  }
  auth::TokenEdit edit;
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "label") {
      edit.label = request.label();
    } else if (path == "access_level") {
      VPVM_ASSIGN_OR_RETURN(edit.access_level, FromProto(request.access_level()));
    } else if (path == "vm_scope") {
      VPVM_ASSIGN_OR_RETURN(edit.vm_scope, ResolveScope(request.vm_scope()));
    } else if (path == "extended_permissions") {
      VPVM_ASSIGN_OR_RETURN(edit.extended, FromProto(request.extended_permissions()));
    } else if (path == "expire_time") {
      edit.expires_at.emplace();
      if (request.has_expire_time()) {
        VPVM_ASSIGN_OR_RETURN(*edit.expires_at, FromTimestamp(request.expire_time()));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("the update mask names unknown field \"", path, "\""));
    }
  }
  VPVM_ASSIGN_OR_RETURN(auth::Token token, store_.Edit(request.token_id(), edit));
  *response = View(token);
  return Log(absl::OkStatus(), "edited token", token.id);
}

absl::Status TokenHandlers::Rotate(const CallContext&, const v1::RotateTokenRequest& request,
                                   v1::RotateTokenResponse* response) {
  VPVM_ASSIGN_OR_RETURN(auth::TokenStore::Issued issued, store_.Rotate(request.token_id()));
  sessions_.EndAllOf(issued.token.id);
  *response->mutable_token() = View(issued.token);
  response->set_secret(std::move(issued.secret));
  return Log(absl::OkStatus(), "rotated token", issued.token.id);
}

absl::Status TokenHandlers::Disable(const CallContext&, const v1::DisableTokenRequest& request,
                                    v1::Token* response) {
  VPVM_ASSIGN_OR_RETURN(auth::Token token, store_.SetDisabled(request.token_id(), true));
  sessions_.EndAllOf(token.id);
  *response = View(token);
  return Log(absl::OkStatus(), "disabled token", token.id);
}

absl::Status TokenHandlers::Enable(const CallContext&, const v1::EnableTokenRequest& request,
                                   v1::Token* response) {
  VPVM_ASSIGN_OR_RETURN(auth::Token token, store_.SetDisabled(request.token_id(), false));
  *response = View(token);
  return Log(absl::OkStatus(), "enabled token", token.id);
}

absl::Status TokenHandlers::Revoke(const CallContext&, const v1::RevokeTokenRequest& request,
                                   v1::RevokeTokenResponse*) {
  VPVM_RETURN_IF_ERROR(store_.Revoke(request.token_id()));
  sessions_.EndAllOf(request.token_id());
  return Log(absl::OkStatus(), "revoked token", request.token_id());
}

absl::Status TokenHandlers::DisableTwoFactor(const CallContext&,
                                             const v1::DisableTokenTwoFactorRequest& request,
                                             v1::Token* response) {
  VPVM_ASSIGN_OR_RETURN(auth::Token token, store_.DisableTwoFactor(request.token_id()));
  sessions_.EndAllOf(token.id);
  *response = View(token);
  return Log(absl::OkStatus(), "disabled 2FA of token", token.id);
}

absl::Status TokenHandlers::RotateMaster(const CallContext&, const v1::RotateMasterTokenRequest&,
                                         v1::RotateMasterTokenResponse* response) {
  VPVM_RETURN_IF_ERROR(auth::RotateMasterToken(store_, master_token_path_));
  sessions_.EndAllOf(auth::kMasterTokenId);
  VPVM_ASSIGN_OR_RETURN(std::string secret, auth::ReadSecretFile(master_token_path_));
  VPVM_ASSIGN_OR_RETURN(auth::Token master, store_.Get(auth::kMasterTokenId));
  *response->mutable_token() = View(master);
  response->set_secret(std::move(secret));
  return Log(absl::OkStatus(), "rotated the master token", master.id);
}

}  // namespace vpvm::daemon
