#include "gui-qml/token_list_model.h"

#include "google/protobuf/util/message_differencer.h"
#include "gui-qml/token_text.h"

namespace vpvm::gui {

int TokenListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(tokens_.size());
}

QVariant TokenListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const v1::Token& token = tokens_[index.row()];
  switch (role) {
    case kTokenIdRole:
      return QString::fromStdString(token.token_id());
    case kLabelRole:
    case Qt::DisplayRole:
      return QString::fromStdString(token.label());
    case kStatusRole:
      return StatusKey(token.status());
    case kIsMasterRole:
      return token.is_master();
    case kMissingCountRole:
      return token.missing_vm_ids_size();
    default:
      break;
  }
  const QVariantMap view = TokenToVariant(token, now_);
  switch (role) {
    case kLevelTextRole:
      return view["levelText"];
    case kVmScopeTextRole:
      return view["vmScopeText"];
    case kExpiryRemainingRole:
      return view["expiryRemaining"];
    case kTokenRole:
      return view;
    default:
      return {};
  }
}

QHash<int, QByteArray> TokenListModel::roleNames() const {
  return {{kTokenIdRole, "tokenId"},
          {kLabelRole, "label"},
          {kStatusRole, "status"},
          {kLevelTextRole, "levelText"},
          {kVmScopeTextRole, "vmScopeText"},
          {kMissingCountRole, "missingCount"},
          {kIsMasterRole, "isMaster"},
          {kExpiryRemainingRole, "expiryRemaining"},
          {kTokenRole, "token"}};
}

int TokenListModel::indexOf(const QString& token_id) const {
  const std::string id = token_id.toStdString();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].token_id() == id) return static_cast<int>(i);
  }
  return -1;
}

QVariantMap TokenListModel::get(int row) const {
  if (row < 0 || row >= rowCount()) return {};
  return TokenToVariant(tokens_[row], now_);
}

void TokenListModel::Replace(std::vector<v1::Token> tokens) {
  bool same_rows = tokens.size() == tokens_.size();
  for (size_t i = 0; same_rows && i < tokens.size(); ++i) {
    same_rows = tokens[i].token_id() == tokens_[i].token_id();
  }
  if (!same_rows) {
    beginResetModel();
    tokens_ = std::move(tokens);
    endResetModel();
    emit countChanged();
    return;
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (google::protobuf::util::MessageDifferencer::Equals(tokens[i], tokens_[i])) continue;
    tokens_[i] = std::move(tokens[i]);
    const QModelIndex changed = index(static_cast<int>(i));
    emit dataChanged(changed, changed);
  }
}

std::optional<v1::Token> TokenListModel::Find(const std::string& token_id) const {
  for (const v1::Token& token : tokens_) {
    if (token.token_id() == token_id) return token;
  }
  return std::nullopt;
}

void TokenListModel::Update(const v1::Token& token) {
  const int row = indexOf(QString::fromStdString(token.token_id()));
  if (row < 0) return;
  tokens_[row] = token;
  emit dataChanged(index(row), index(row));
}

void TokenListModel::Tick(const QDateTime& now) {
  now_ = now;
  if (tokens_.empty()) return;
  emit dataChanged(index(0), index(rowCount() - 1), {kExpiryRemainingRole, kTokenRole});
}

}  // namespace vpvm::gui
