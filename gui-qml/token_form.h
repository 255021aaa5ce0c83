#pragma once

// What the Create Token sheet and the Edit form hold while the user fills them in, with the
// token rules applied as they type: Extended Permissions exist only for Admin on All VMs, and are
// cleared whenever the level changes or the scope narrows, so that no form can ask for a
// combination the daemon would refuse. It turns into a CreateTokenRequest, or into an
// UpdateTokenRequest that names only the fields that changed (so that an edit of the label does
// not resend a VM list that may hold VMs deleted since).

#include <QDate>
#include <QHash>
#include <QObject>
#include <QStringList>
#include <optional>

#include "absl/status/statusor.h"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::gui {

class TokenForm : public QObject {
  Q_OBJECT
  Q_PROPERTY(QString label READ label WRITE setLabel NOTIFY changed)
  Q_PROPERTY(bool allVms READ allVms WRITE setAllVms NOTIFY changed)
  Q_PROPERTY(QStringList vmIds READ vmIds NOTIFY changed)
  Q_PROPERTY(QString level READ level WRITE setLevel NOTIFY changed)
  Q_PROPERTY(bool neverExpires READ neverExpires WRITE setNeverExpires NOTIFY changed)
  Q_PROPERTY(QString expiryDate READ expiryDate WRITE setExpiryDate NOTIFY changed)
  Q_PROPERTY(bool extendedAvailable READ extendedAvailable NOTIFY changed)
  Q_PROPERTY(bool templates READ templates WRITE setTemplates NOTIFY changed)
  Q_PROPERTY(bool networks READ networks WRITE setNetworks NOTIFY changed)
  Q_PROPERTY(bool images READ images WRITE setImages NOTIFY changed)
  Q_PROPERTY(bool editing READ editing NOTIFY changed)

 public:
  explicit TokenForm(QObject* parent = nullptr) : QObject(parent) { Reset(); }

  // Empty, for a new token: Operator, All VMs, never expires.
  Q_INVOKABLE void reset() { Reset(); }
  void Reset();
  // Filled from `token`, for editing it.
  void Load(const v1::Token& token);

  // The name the edited token records for VM `id`; "" when it does not list it.
  Q_INVOKABLE QString recordedVmName(const QString& id) const { return recorded_names_.value(id); }
  Q_INVOKABLE bool isVmChecked(const QString& id) const { return vm_ids_.contains(id); }
  Q_INVOKABLE void setVmChecked(const QString& id, bool checked);
  // Sets the expiry to `days` from today (the quick choices beside the date field).
  Q_INVOKABLE void setExpiryInDays(int days);

  // The first problem a person should fix before submitting, or "" when there is none. The
  // daemon checks everything again.
  Q_INVOKABLE QString problem() const;

  absl::StatusOr<v1::CreateTokenRequest> ToCreateRequest() const;
  absl::StatusOr<v1::UpdateTokenRequest> ToUpdateRequest() const;

  QString label() const { return label_; }
  void setLabel(const QString& label);
  bool allVms() const { return all_vms_; }
  void setAllVms(bool all_vms);
  QStringList vmIds() const { return vm_ids_; }
  QString level() const { return level_; }
  void setLevel(const QString& level);
  bool neverExpires() const { return never_expires_; }
  void setNeverExpires(bool never);
  QString expiryDate() const { return expiry_date_; }
  void setExpiryDate(const QString& date);
  bool extendedAvailable() const { return level_ == "admin" && all_vms_; }
  bool templates() const { return templates_; }
  void setTemplates(bool on) { SetExtended(templates_, on); }
  bool networks() const { return networks_; }
  void setNetworks(bool on) { SetExtended(networks_, on); }
  bool images() const { return images_; }
  void setImages(bool on) { SetExtended(images_, on); }
  bool editing() const { return original_.has_value(); }

 signals:
  void changed();

 private:
  void SetExtended(bool& field, bool on);
  void ClearExtended();
  // Always for a new token; for an edited one, when the field differs from the token's.
  bool ExpiryChanged() const;
  v1::VmScope Scope() const;
  std::vector<v1::ExtendedPermission> Extended() const;
  // The instant the expiry field means: the end of that day, local time; nullopt for never.
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> Expiry() const;

  QString label_;
  bool all_vms_ = true;
  QStringList vm_ids_;
  QHash<QString, QString> recorded_names_;
  QString level_;
  bool never_expires_ = true;
  QString expiry_date_;
  bool templates_ = false;
  bool networks_ = false;
  bool images_ = false;
  std::optional<v1::Token> original_;  // set while editing
};

}  // namespace vpvm::gui
