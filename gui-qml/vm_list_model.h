#pragma once

// The host's VMs, for the checklist of the token forms: id, name and state, sorted by name.

#include <QAbstractListModel>
#include <vector>

#include "vpvm/v1/vm_service.pb.h"

namespace vpvm::gui {

class VmListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role { kIdRole = Qt::UserRole + 1, kNameRole, kStateRole };

  explicit VmListModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  Q_INVOKABLE QString nameOf(const QString& id) const;

  void Replace(std::vector<v1::Vm> vms);

 signals:
  void countChanged();

 private:
  std::vector<v1::Vm> vms_;
};

}  // namespace vpvm::gui
