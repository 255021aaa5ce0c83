#include "gui-qml/access_tokens.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QRegularExpression>

#include "google/protobuf/util/message_differencer.h"
#include "gui-qml/token_text.h"

namespace vpvm::gui {
namespace {

constexpr int kPageSize = 500;
constexpr int kDefaultPollMs = 5000;
constexpr int kClockMs = 30000;
constexpr int kSearchDelayMs = 150;

v1::TokenStatus StatusOf(const QString& filter) {
  if (filter == "active") return v1::TOKEN_STATUS_ACTIVE;
  if (filter == "disabled") return v1::TOKEN_STATUS_DISABLED;
  if (filter == "expired") return v1::TOKEN_STATUS_EXPIRED;
  return v1::TOKEN_STATUS_UNSPECIFIED;
}

// Every page of a listing, gathered on the worker thread.
// TODO(#6): fetch pages as the sidebar scrolls, for stores of many thousands of tokens.
absl::StatusOr<v1::ListTokensResponse> ListAll(client::Connection& connection,
                                               v1::ListTokensRequest request) {
  v1::TokenService::Stub stub(connection.channel());
  v1::ListTokensResponse all;
  do {
    absl::StatusOr<v1::ListTokensResponse> page = connection.Call(
        stub, &v1::TokenService::Stub::ListTokens, request, CallRunner::kCallTimeout);
    if (!page.ok()) return page.status();
    request.set_page_token(page->next_page_token());
    page->clear_next_page_token();
    all.MergeFrom(*page);
  } while (!request.page_token().empty());
  return all;
}

}  // namespace

AccessTokens::AccessTokens(client::ConnectionSettings settings, QObject* parent)
    : QObject(parent), runner_(std::move(settings)) {
  poll_.setInterval(kDefaultPollMs);
  connect(&poll_, &QTimer::timeout, this, [this] {
    if (!listing_in_flight_) refresh();
  });
  poll_.start();
  clock_.setInterval(kClockMs);
  connect(&clock_, &QTimer::timeout, this, &AccessTokens::tick);
  clock_.start();
  search_delay_.setSingleShot(true);
  search_delay_.setInterval(kSearchDelayMs);
  connect(&search_delay_, &QTimer::timeout, this, &AccessTokens::refresh);
  refresh();
}

void AccessTokens::refresh() {
  v1::ListTokensRequest request;
  request.set_status(StatusOf(status_filter_));
  request.set_search(search_.trimmed().toStdString());
  request.set_page_size(kPageSize);
  const int generation = ++listing_generation_;
  listing_in_flight_ = true;
  runner_.Run<v1::ListTokensResponse>(
      [request](client::Connection& connection) { return ListAll(connection, request); },
      [this, generation](absl::StatusOr<v1::ListTokensResponse> listing) {
        ApplyListing(std::move(listing), generation);
      });
}

void AccessTokens::ApplyListing(absl::StatusOr<v1::ListTokensResponse> listing, int generation) {
  // A listing for a filter or search text that has changed since is of no use.
  if (generation != listing_generation_) return;
  listing_in_flight_ = false;
  ++listings_;
  if (!listing.ok()) {
    untrusted_ = QString::fromStdString(UnknownCertificateFingerprint(listing.status()));
    SetConnected(false);
    SetError(untrusted_.isEmpty()
                 ? HumanError(listing.status(), "Could not list the tokens")
                 : QStringLiteral("The certificate of %1 is not trusted yet. Its fingerprint is "
                                  "%2; compare it with what `vpvmd fingerprint` prints on the "
                                  "server before you trust it.")
                       .arg(connectionText(), untrusted_),
             true);
    emit listed();
    return;
  }
  SetConnected(true);
  if (error_from_listing_) SetError(QString(), false);
  std::vector<v1::Token> tokens(listing->tokens().begin(), listing->tokens().end());
  tokens_.Replace(std::move(tokens));
  // The selection stays while its token exists, shown as the daemon has it now.
  if (selected_) {
    if (std::optional<v1::Token> fresh = tokens_.Find(selected_->token_id())) {
      SetSelected(fresh);
    } else {
      FetchSelected();
    }
  }
  emit listed();
}

void AccessTokens::FetchSelected() {
  v1::GetTokenRequest request;
  request.set_token_id(selected_->token_id());
  Call<v1::TokenService::Stub>(
      &v1::TokenService::Stub::GetToken, request,
      std::function([this, id = selected_id_](absl::StatusOr<v1::Token> token) {
        if (selected_id_ != id) return;  // another token was chosen meanwhile
        if (token.ok()) {
          SetSelected(*token);
        } else if (token.status().code() == absl::StatusCode::kNotFound) {
          SetSelected(std::nullopt);  // revoked elsewhere
        }
      }));
}

void AccessTokens::select(const QString& token_id) {
  if (token_id.isEmpty()) {
    SetSelected(std::nullopt);
    return;
  }
  SetSelected(tokens_.Find(token_id.toStdString()));
}

QVariantMap AccessTokens::selected() const {
  return selected_ ? TokenToVariant(*selected_, now_) : QVariantMap();
}

void AccessTokens::SetSelected(std::optional<v1::Token> token) {
  const QString id = token ? QString::fromStdString(token->token_id()) : QString();
  if (token && selected_ &&
      google::protobuf::util::MessageDifferencer::Equals(*token, *selected_)) {
    return;
  }
  if (id != selected_id_ && editing_) SetEditing(false);
  selected_ = std::move(token);
  selected_id_ = id;
  emit selectedChanged();
}

void AccessTokens::startCreate() {
  form_.Reset();
  SetFormError(QString());
  LoadVms();
}

void AccessTokens::submitCreate() {
  absl::StatusOr<v1::CreateTokenRequest> request = form_.ToCreateRequest();
  if (!request.ok()) {
    SetFormError(QString::fromStdString(std::string(request.status().message())));
    return;
  }
  SetFormError(QString());
  AddBusy(1);
  Call<v1::TokenService::Stub>(
      &v1::TokenService::Stub::CreateToken, *std::move(request),
      std::function([this](absl::StatusOr<v1::CreateTokenResponse> created) {
        AddBusy(-1);
        if (!created.ok()) {
          RefuseForm(created.status(), "Could not create the token");
          return;
        }
        emit formAccepted();
        SetSelected(created->token());
        refresh();
        emit secretRevealed(QString::fromStdString(created->token().label()),
                            QString::fromStdString(created->secret()), false);
      }));
}

void AccessTokens::startEdit() {
  if (!selected_ || selected_->is_master()) return;
  form_.Load(*selected_);
  SetFormError(QString());
  SetEditing(true);
  LoadVms();
}

void AccessTokens::submitEdit() {
  absl::StatusOr<v1::UpdateTokenRequest> request = form_.ToUpdateRequest();
  if (!request.ok()) {
    SetFormError(QString::fromStdString(std::string(request.status().message())));
    return;
  }
  SetFormError(QString());
  if (request->update_mask().paths().empty()) {
    SetEditing(false);
    return;
  }
  AddBusy(1);
  Call<v1::TokenService::Stub>(&v1::TokenService::Stub::UpdateToken, *std::move(request),
                               std::function([this](absl::StatusOr<v1::Token> updated) {
                                 AddBusy(-1);
                                 if (!updated.ok()) {
                                   RefuseForm(updated.status(), "Could not save the changes");
                                   return;
                                 }
                                 SetEditing(false);
                                 emit formAccepted();
                                 SetSelected(*updated);
                                 refresh();
                               }));
}

void AccessTokens::cancelEdit() {
  SetFormError(QString());
  SetEditing(false);
}

void AccessTokens::rotate(const QString& token_id) {
  v1::RotateTokenRequest request;
  request.set_token_id(token_id.toStdString());
  AddBusy(1);
  Call<v1::TokenService::Stub>(
      &v1::TokenService::Stub::RotateToken, request,
      std::function([this](absl::StatusOr<v1::RotateTokenResponse> rotated) {
        AddBusy(-1);
        if (!rotated.ok()) {
          SetError(HumanError(rotated.status(), "Could not rotate the secret"), false);
          return;
        }
        if (selected_ && selected_->token_id() == rotated->token().token_id()) {
          SetSelected(rotated->token());
        }
        refresh();
        emit secretRevealed(QString::fromStdString(rotated->token().label()),
                            QString::fromStdString(rotated->secret()), true);
      }));
}

template <typename Request>
void AccessTokens::TokenAction(grpc::Status (v1::TokenService::Stub::*method)(grpc::ClientContext*,
                                                                              const Request&,
                                                                              v1::Token*),
                               const QString& token_id, const QString& failure) {
  Request request;
  request.set_token_id(token_id.toStdString());
  AddBusy(1);
  Call<v1::TokenService::Stub>(method, request,
                               std::function([this, failure](absl::StatusOr<v1::Token> token) {
                                 AddBusy(-1);
                                 if (!token.ok()) {
                                   SetError(HumanError(token.status(), failure), false);
                                   return;
                                 }
                                 if (selected_ && selected_->token_id() == token->token_id()) {
                                   SetSelected(*token);
                                 }
                                 tokens_.Update(*token);
                                 refresh();
                               }));
}

void AccessTokens::disable(const QString& token_id) {
  TokenAction(&v1::TokenService::Stub::DisableToken, token_id, "Could not disable the token");
}

void AccessTokens::enable(const QString& token_id) {
  TokenAction(&v1::TokenService::Stub::EnableToken, token_id, "Could not enable the token");
}

void AccessTokens::disableTwoFactor(const QString& token_id) {
  TokenAction(&v1::TokenService::Stub::DisableTokenTwoFactor, token_id,
              "Could not turn off two-factor authentication");
}

void AccessTokens::revoke(const QString& token_id) {
  v1::RevokeTokenRequest request;
  request.set_token_id(token_id.toStdString());
  AddBusy(1);
  Call<v1::TokenService::Stub>(
      &v1::TokenService::Stub::RevokeToken, request,
      std::function([this, token_id](absl::StatusOr<v1::RevokeTokenResponse> revoked) {
        AddBusy(-1);
        if (!revoked.ok()) {
          SetError(HumanError(revoked.status(), "Could not revoke the token"), false);
          return;
        }
        if (selected_id_ == token_id) SetSelected(std::nullopt);
        refresh();
      }));
}

void AccessTokens::RefuseForm(const absl::Status& status, const QString& action) {
  // The daemon names VMs by id; the person chose them by name.
  QString message = HumanError(status, action);
  static const QRegularExpression kVmId(QStringLiteral("vm_[a-z0-9]+"));
  for (const QRegularExpressionMatch& match : kVmId.globalMatch(message)) {
    const QString name = vms_.nameOf(match.captured());
    if (!name.isEmpty()) message.replace(match.captured(), name);
  }
  SetFormError(message);
  // A VM deleted meanwhile is then shown as gone, so that it can be unchosen.
  if (status.code() == absl::StatusCode::kInvalidArgument) LoadVms();
}

void AccessTokens::LoadVms() {
  v1::ListVmsRequest request;
  request.set_page_size(1000);
  Call<v1::VmService::Stub>(&v1::VmService::Stub::ListVms, request,
                            std::function([this](absl::StatusOr<v1::ListVmsResponse> listed) {
                              if (!listed.ok()) {
                                SetFormError(HumanError(listed.status(), "Could not list the VMs"));
                                return;
                              }
                              vms_.Replace({listed->vms().begin(), listed->vms().end()});
                            }));
}

void AccessTokens::trustServer() {
  if (untrusted_.isEmpty()) return;
  runner_.TrustFingerprint(untrusted_.toStdString());
  untrusted_.clear();
  SetError(QString(), false);
  refresh();
}

void AccessTokens::dismissError() { SetError(QString(), false); }

void AccessTokens::copyToClipboard(const QString& text) const {
  QGuiApplication::clipboard()->setText(text);
}

void AccessTokens::tick() {
  now_ = QDateTime::currentDateTime();
  tokens_.Tick(now_);
  if (selected_) emit selectedChanged();
}

void AccessTokens::setStatusFilter(const QString& filter) {
  if (filter == status_filter_) return;
  status_filter_ = filter;
  emit filterChanged();
  refresh();
}

void AccessTokens::setSearch(const QString& search) {
  if (search == search_) return;
  search_ = search;
  emit filterChanged();
  search_delay_.start();
}

void AccessTokens::setPollInterval(int ms) {
  if (ms == poll_.interval()) return;
  poll_.setInterval(ms);
  emit pollIntervalChanged();
}

void AccessTokens::setActive(bool active) {
  if (active == this->active()) return;
  if (active) {
    poll_.start();
    clock_.start();
    tick();
    refresh();
  } else {
    poll_.stop();
    clock_.stop();
  }
  emit activeChanged();
}

void AccessTokens::SetError(const QString& message, bool from_listing) {
  error_from_listing_ = from_listing && !message.isEmpty();
  if (message == error_) return;
  error_ = message;
  emit errorChanged();
}

void AccessTokens::SetFormError(const QString& message) {
  if (message == form_error_) return;
  form_error_ = message;
  emit formErrorChanged();
}

void AccessTokens::SetConnected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  emit connectedChanged();
}

void AccessTokens::SetEditing(bool editing) {
  if (editing == editing_) return;
  editing_ = editing;
  emit editingChanged();
}

void AccessTokens::AddBusy(int delta) {
  const bool was = busy();
  busy_ += delta;
  if (busy() != was) emit busyChanged();
}

}  // namespace vpvm::gui
