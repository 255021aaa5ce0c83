#pragma once

// The host's VMs, for the checklist of the token forms: id, name and state, sorted by name. It
// remembers the names of VMs listed before, so that a VM deleted while a form is open is still
// called by its name.

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

  Q_INVOKABLE bool contains(const QString& id) const;
  // The VM's name, listed now or before; "" when never seen.
  Q_INVOKABLE QString nameOf(const QString& id) const { return known_names_.value(id); }

  void Replace(std::vector<v1::Vm> vms);

 signals:
  void countChanged();

 private:
  std::vector<v1::Vm> vms_;
  QHash<QString, QString> known_names_;
};

}  // namespace vpvm::gui
