#pragma once

// What vpvm-gui and its tests do before loading QML: the C++ types QML sees, the controls'
// style, and where the window's QML files are.

#include <QString>

namespace vpvm::gui {

// Registers the types of the Access Tokens window with QML (module "Vpvm", uncreatable: an
// AccessTokens comes from C++ with its connection settings).
void RegisterQmlTypes();

// The Fusion style, the same on every desktop.
void UseStyle();

// "qrc:/vpvm/qml": import it to use the window's components, or load Main.qml from it.
inline const QString kQmlRoot = QStringLiteral("qrc:/vpvm/qml");

}  // namespace vpvm::gui
