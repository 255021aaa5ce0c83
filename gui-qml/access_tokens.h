#pragma once

// The Access Tokens window's state and actions, for QML: the sidebar's tokens for the chosen
// status filter and search text, the selected token, the create and edit form, and every token
// action (create, edit, rotate, disable, enable, revoke, turn off 2FA) as calls to vpvmd through
// the client library. Calls run off the GUI thread; their outcome comes back as property changes
// and signals. A failed form submission keeps the form as typed and says why in `formError`;
// other failures go to `errorMessage`. The list is listed again after every change and
// periodically (another client may change tokens), and relative times are kept current.

#include <QDateTime>
#include <QObject>
#include <QTimer>
#include <QVariantMap>
#include <memory>
#include <optional>

#include "gui-qml/call_runner.h"
#include "gui-qml/token_form.h"
#include "gui-qml/token_list_model.h"
#include "gui-qml/vm_list_model.h"
#include "vpvm/v1/token_service.grpc.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::gui {

class AccessTokens : public QObject {
  Q_OBJECT
  Q_PROPERTY(TokenListModel* tokens READ tokens CONSTANT)
  Q_PROPERTY(VmListModel* vms READ vms CONSTANT)
  Q_PROPERTY(TokenForm* form READ form CONSTANT)
  Q_PROPERTY(QString connectionText READ connectionText CONSTANT)
  // "all", "active", "disabled" or "expired".
  Q_PROPERTY(QString statusFilter READ statusFilter WRITE setStatusFilter NOTIFY filterChanged)
  Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY filterChanged)
  Q_PROPERTY(QString selectedId READ selectedId NOTIFY selectedChanged)
  Q_PROPERTY(QVariantMap selected READ selected NOTIFY selectedChanged)
  Q_PROPERTY(bool editing READ editing NOTIFY editingChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  // True once a listing has come back, until one fails.
  Q_PROPERTY(bool connected READ connected NOTIFY connectedChanged)
  Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY errorChanged)
  Q_PROPERTY(QString formError READ formError NOTIFY formErrorChanged)
  // The fingerprint of a remote server's certificate that is not trusted yet; empty otherwise.
  Q_PROPERTY(QString untrustedFingerprint READ untrustedFingerprint NOTIFY errorChanged)
  Q_PROPERTY(int pollInterval READ pollInterval WRITE setPollInterval NOTIFY pollIntervalChanged)
  // While false (the window is hidden), nothing is listed periodically; true lists at once.
  Q_PROPERTY(bool active READ active WRITE setActive NOTIFY activeChanged)
  // How many listings have come back: lets a test wait for the next one.
  Q_PROPERTY(int listings READ listings NOTIFY listed)

 public:
  explicit AccessTokens(client::ConnectionSettings settings, QObject* parent = nullptr);

  Q_INVOKABLE void refresh();
  Q_INVOKABLE void select(const QString& token_id);
  Q_INVOKABLE void startCreate();
  Q_INVOKABLE void submitCreate();
  Q_INVOKABLE void startEdit();
  Q_INVOKABLE void submitEdit();
  Q_INVOKABLE void cancelEdit();
  Q_INVOKABLE void rotate(const QString& token_id);
  Q_INVOKABLE void disable(const QString& token_id);
  Q_INVOKABLE void enable(const QString& token_id);
  Q_INVOKABLE void revoke(const QString& token_id);
  Q_INVOKABLE void disableTwoFactor(const QString& token_id);
  Q_INVOKABLE void trustServer();
  // Lets go of the daemon (a daemon stopping waits for its clients); the next call reconnects.
  Q_INVOKABLE void closeConnection() { runner_.Close(); }
  Q_INVOKABLE void dismissError();
  Q_INVOKABLE void copyToClipboard(const QString& text) const;
  // Recomputes relative times ("3 minutes ago"); runs every 30 seconds by itself.
  Q_INVOKABLE void tick();

  TokenListModel* tokens() { return &tokens_; }
  VmListModel* vms() { return &vms_; }
  TokenForm* form() { return &form_; }
  QString connectionText() const { return runner_.description(); }
  QString statusFilter() const { return status_filter_; }
  void setStatusFilter(const QString& filter);
  QString search() const { return search_; }
  void setSearch(const QString& search);
  QString selectedId() const { return selected_id_; }
  QVariantMap selected() const;
  bool editing() const { return editing_; }
  bool busy() const { return busy_ > 0; }
  bool connected() const { return connected_; }
  QString errorMessage() const { return error_; }
  QString formError() const { return form_error_; }
  QString untrustedFingerprint() const { return untrusted_; }
  int pollInterval() const { return poll_.interval(); }
  void setPollInterval(int ms);
  int listings() const { return listings_; }
  bool active() const { return poll_.isActive(); }
  void setActive(bool active);

 signals:
  void filterChanged();
  void selectedChanged();
  void editingChanged();
  void busyChanged();
  void connectedChanged();
  void errorChanged();
  void formErrorChanged();
  void pollIntervalChanged();
  void activeChanged();
  void listed();
  // A secret to show once: after create (`rotated` false) or rotate.
  void secretRevealed(const QString& label, const QString& secret, bool rotated);
  // A create or edit went through: its sheet or form may close.
  void formAccepted();

 private:
  // One call of `method` on a `Stub` off the GUI thread, `done` back on it.
  template <typename Stub, typename Request, typename Response>
  void Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
            Request request, std::function<void(absl::StatusOr<Response>)> done) {
    runner_.Run<Response>(
        [method, request = std::move(request)](client::Connection& connection) {
          Stub stub(connection.channel());
          return connection.Call(stub, method, request, CallRunner::kCallTimeout);
        },
        std::move(done));
  }

  // A token action whose answer is the token: counted as busy, errors to the banner.
  template <typename Request>
  void TokenAction(grpc::Status (v1::TokenService::Stub::*method)(grpc::ClientContext*,
                                                                  const Request&, v1::Token*),
                   const QString& token_id, const QString& failure);

  // Shows why the daemon refused the create or edit form, which stays as typed.
  void RefuseForm(const absl::Status& status, const QString& action);
  void LoadVms();
  void ApplyListing(absl::StatusOr<v1::ListTokensResponse> listing, int generation);
  void SetSelected(std::optional<v1::Token> token);
  // Brings the selected token up to date when the listing filters it out.
  void FetchSelected();
  void SetError(const QString& message, bool from_listing);
  void SetFormError(const QString& message);
  void SetConnected(bool connected);
  void SetEditing(bool editing);
  void AddBusy(int delta);

  CallRunner runner_;
  TokenListModel tokens_;
  VmListModel vms_;
  TokenForm form_;
  QString status_filter_ = "all";
  QString search_;
  QString selected_id_;
  std::optional<v1::Token> selected_;
  bool editing_ = false;
  int busy_ = 0;
  bool connected_ = false;
  QString error_;
  bool error_from_listing_ = false;
  QString form_error_;
  QString untrusted_;
  int listing_generation_ = 0;
  bool listing_in_flight_ = false;
  int listings_ = 0;
  QDateTime now_ = QDateTime::currentDateTime();
  QTimer poll_;
  QTimer clock_;
  QTimer search_delay_;
};

}  // namespace vpvm::gui
