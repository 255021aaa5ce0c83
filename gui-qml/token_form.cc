#include "gui-qml/token_form.h"

#include <QDateTime>
#include <QSet>
#include <QVariantMap>
#include <algorithm>

#include "gui-qml/token_text.h"

namespace vpvm::gui {
namespace {

constexpr int kMaxLabelLength = 100;

std::vector<v1::ExtendedPermission> ExtendedOf(const v1::Token& token) {
  std::vector<v1::ExtendedPermission> result;
  for (int p : token.extended_permissions()) result.push_back(v1::ExtendedPermission(p));
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace

void TokenForm::Reset() {
  label_.clear();
  all_vms_ = true;
  vm_ids_.clear();
  recorded_names_.clear();
  level_ = "operator";
  never_expires_ = true;
  expiry_date_ = QDate::currentDate().addDays(30).toString(Qt::ISODate);
  templates_ = networks_ = images_ = false;
  original_.reset();
  emit changed();
}

void TokenForm::Load(const v1::Token& token) {
  Reset();
  original_ = token;
  label_ = QString::fromStdString(token.label());
  all_vms_ = token.vm_scope().all_vms();
  const QVariantMap view = TokenToVariant(token, QDateTime::currentDateTime());
  for (const QVariant& vm : view["vms"].toList()) {
    const QVariantMap ref = vm.toMap();
    vm_ids_ << ref["id"].toString();
    recorded_names_.insert(ref["id"].toString(), ref["name"].toString());
  }
  level_ = view["level"].toString();
  never_expires_ = !token.has_expire_time();
  if (!never_expires_) expiry_date_ = view["expiryDate"].toString();
  for (v1::ExtendedPermission p : ExtendedOf(token)) {
    if (p == v1::EXTENDED_PERMISSION_TEMPLATES) templates_ = true;
    if (p == v1::EXTENDED_PERMISSION_NETWORKS) networks_ = true;
    if (p == v1::EXTENDED_PERMISSION_IMAGES) images_ = true;
  }
  emit changed();
}

void TokenForm::setLabel(const QString& label) {
  if (label == label_) return;
  label_ = label;
  emit changed();
}

void TokenForm::setAllVms(bool all_vms) {
  if (all_vms == all_vms_) return;
  all_vms_ = all_vms;
  if (!all_vms_) ClearExtended();
  emit changed();
}

void TokenForm::setVmChecked(const QString& id, bool checked) {
  if (checked == vm_ids_.contains(id)) return;
  if (checked) {
    vm_ids_ << id;
  } else {
    vm_ids_.removeAll(id);
  }
  emit changed();
}

void TokenForm::setLevel(const QString& level) {
  if (level == level_) return;
  level_ = level;
  ClearExtended();
  emit changed();
}

void TokenForm::setNeverExpires(bool never) {
  if (never == never_expires_) return;
  never_expires_ = never;
  emit changed();
}

void TokenForm::setExpiryDate(const QString& date) {
  if (date == expiry_date_) return;
  expiry_date_ = date;
  emit changed();
}

void TokenForm::setExpiryInDays(int days) {
  never_expires_ = false;
  expiry_date_ = QDate::currentDate().addDays(days).toString(Qt::ISODate);
  emit changed();
}

void TokenForm::SetExtended(bool& field, bool on) {
  // Unreachable from the form, whose checkboxes are hidden then; kept for other callers.
  if (on && !extendedAvailable()) return;
  if (field == on) return;
  field = on;
  emit changed();
}

void TokenForm::ClearExtended() { templates_ = networks_ = images_ = false; }

QString TokenForm::problem() const {
  const QString label = label_.trimmed();
  if (label.isEmpty()) return QStringLiteral("Give the token a label.");
  if (label.size() > kMaxLabelLength) {
    return QStringLiteral("The label is %1 characters long; at most %2 are allowed.")
        .arg(label.size())
        .arg(kMaxLabelLength);
  }
  if (!all_vms_ && vm_ids_.isEmpty()) {
    return QStringLiteral("Choose at least one VM, or All VMs.");
  }
  if (!never_expires_ && ExpiryChanged()) {
    const QDate date = QDate::fromString(expiry_date_, Qt::ISODate);
    if (!date.isValid()) return QStringLiteral("Write the expiry date as YYYY-MM-DD.");
    if (date < QDate::currentDate()) {
      return QStringLiteral("The expiry date %1 has passed.").arg(expiry_date_);
    }
  }
  return QString();
}

bool TokenForm::ExpiryChanged() const {
  if (!original_) return true;
  const bool was_never = !original_->has_expire_time();
  if (never_expires_ != was_never) return true;
  return !never_expires_ &&
         expiry_date_ != ToDateTime(original_->expire_time()).date().toString(Qt::ISODate);
}

v1::VmScope TokenForm::Scope() const {
  v1::VmScope scope;
  scope.set_all_vms(all_vms_);
  if (!all_vms_) {
    for (const QString& id : vm_ids_) scope.add_vms()->set_id(id.toStdString());
  }
  return scope;
}

std::vector<v1::ExtendedPermission> TokenForm::Extended() const {
  std::vector<v1::ExtendedPermission> result;
  if (!extendedAvailable()) return result;
  if (templates_) result.push_back(v1::EXTENDED_PERMISSION_TEMPLATES);
  if (networks_) result.push_back(v1::EXTENDED_PERMISSION_NETWORKS);
  if (images_) result.push_back(v1::EXTENDED_PERMISSION_IMAGES);
  return result;
}

absl::StatusOr<std::optional<google::protobuf::Timestamp>> TokenForm::Expiry() const {
  if (never_expires_) return std::nullopt;
  const QDate date = QDate::fromString(expiry_date_, Qt::ISODate);
  if (!date.isValid()) return absl::InvalidArgumentError("the expiry date is not a date");
  // Valid through the end of that day, as the CLI reads a date.
  const QDateTime end(date.addDays(1), QTime(0, 0));
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(end.toSecsSinceEpoch());
  return timestamp;
}

absl::StatusOr<v1::CreateTokenRequest> TokenForm::ToCreateRequest() const {
  if (QString p = problem(); !p.isEmpty()) return absl::InvalidArgumentError(p.toStdString());
  v1::CreateTokenRequest request;
  request.set_label(label_.trimmed().toStdString());
  request.set_access_level(level_ == "admin" ? v1::ACCESS_LEVEL_ADMIN : v1::ACCESS_LEVEL_OPERATOR);
  *request.mutable_vm_scope() = Scope();
  for (v1::ExtendedPermission p : Extended()) request.add_extended_permissions(p);
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> expiry = Expiry();
  if (!expiry.ok()) return expiry.status();
  if (*expiry) *request.mutable_expire_time() = **expiry;
  return request;
}

absl::StatusOr<v1::UpdateTokenRequest> TokenForm::ToUpdateRequest() const {
  if (!original_) return absl::FailedPreconditionError("no token is being edited");
  if (QString p = problem(); !p.isEmpty()) return absl::InvalidArgumentError(p.toStdString());
  const v1::Token& was = *original_;
  v1::UpdateTokenRequest request;
  request.set_token_id(was.token_id());
  auto& mask = *request.mutable_update_mask();

  const std::string label = label_.trimmed().toStdString();
  if (label != was.label()) {
    request.set_label(label);
    mask.add_paths("label");
  }
  const v1::AccessLevel level =
      level_ == "admin" ? v1::ACCESS_LEVEL_ADMIN : v1::ACCESS_LEVEL_OPERATOR;
  if (level != was.access_level()) {
    request.set_access_level(level);
    mask.add_paths("access_level");
  }
  QSet<QString> was_ids;
  for (const v1::VmRef& vm : was.vm_scope().vms()) was_ids << QString::fromStdString(vm.id());
  const QSet<QString> ids(vm_ids_.begin(), vm_ids_.end());
  if (all_vms_ != was.vm_scope().all_vms() || (!all_vms_ && ids != was_ids)) {
    *request.mutable_vm_scope() = Scope();
    mask.add_paths("vm_scope");
  }
  const std::vector<v1::ExtendedPermission> extended = Extended();
  if (extended != ExtendedOf(was)) {
    for (v1::ExtendedPermission p : extended) request.add_extended_permissions(p);
    mask.add_paths("extended_permissions");
  }
  if (ExpiryChanged()) {
    absl::StatusOr<std::optional<google::protobuf::Timestamp>> expiry = Expiry();
    if (!expiry.ok()) return expiry.status();
    if (*expiry) *request.mutable_expire_time() = **expiry;
    mask.add_paths("expire_time");
  }
  return request;
}

}  // namespace vpvm::gui
