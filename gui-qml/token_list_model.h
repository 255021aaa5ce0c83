#pragma once

// The tokens of the sidebar, as the daemon last listed them for the chosen status and search.
// A new listing updates rows in place when the same tokens come back in the same order, so a
// periodic refresh neither resets the view's scroll position nor its selection; relative times
// are recomputed on Tick().

#include <QAbstractListModel>
#include <QDateTime>
#include <optional>
#include <vector>

#include "vpvm/v1/token_service.pb.h"

namespace vpvm::gui {

class TokenListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    kTokenIdRole = Qt::UserRole + 1,
    kLabelRole,
    kStatusRole,  // "active", "disabled", "expired"
    kLevelTextRole,
    kVmScopeTextRole,
    kMissingCountRole,
    kIsMasterRole,
    kExpiryRemainingRole,
    kTokenRole,  // everything, as TokenToVariant gives it
  };

  explicit TokenListModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  Q_INVOKABLE int indexOf(const QString& token_id) const;
  // The token at `row` as TokenToVariant gives it; empty when out of range.
  Q_INVOKABLE QVariantMap get(int row) const;

  void Replace(std::vector<v1::Token> tokens);
  std::optional<v1::Token> Find(const std::string& token_id) const;
  // Updates one token in place, if listed.
  void Update(const v1::Token& token);
  void Tick(const QDateTime& now);

 signals:
  void countChanged();

 private:
  std::vector<v1::Token> tokens_;
  QDateTime now_ = QDateTime::currentDateTime();
};

}  // namespace vpvm::gui
