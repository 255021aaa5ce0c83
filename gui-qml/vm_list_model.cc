#include "gui-qml/vm_list_model.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace vpvm::gui {

int VmListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(vms_.size());
}

QVariant VmListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const v1::Vm& vm = vms_[index.row()];
  switch (role) {
    case kIdRole:
      return QString::fromStdString(vm.id());
    case kNameRole:
    case Qt::DisplayRole:
      return QString::fromStdString(vm.name());
    case kStateRole: {
      // VM_STATE_RUNNING -> "running"
      std::string state(absl::StripPrefix(v1::VmState_Name(vm.status().state()), "VM_STATE_"));
      return QString::fromStdString(absl::AsciiStrToLower(state));
    }
    default:
      return {};
  }
}

QHash<int, QByteArray> VmListModel::roleNames() const {
  return {{kIdRole, "vmId"}, {kNameRole, "name"}, {kStateRole, "vmState"}};
}

bool VmListModel::contains(const QString& id) const {
  const std::string wanted = id.toStdString();
  return std::any_of(vms_.begin(), vms_.end(), [&](const v1::Vm& vm) { return vm.id() == wanted; });
}

void VmListModel::Replace(std::vector<v1::Vm> vms) {
  std::sort(vms.begin(), vms.end(),
            [](const v1::Vm& a, const v1::Vm& b) { return a.name() < b.name(); });
  for (const v1::Vm& vm : vms) {
    known_names_.insert(QString::fromStdString(vm.id()), QString::fromStdString(vm.name()));
  }
  beginResetModel();
  vms_ = std::move(vms);
  endResetModel();
  emit countChanged();
}

}  // namespace vpvm::gui
