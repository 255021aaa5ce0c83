#include "gui-qml/gui_setup.h"

#include <QQuickStyle>
#include <QtQml>

#include "gui-qml/access_tokens.h"

namespace vpvm::gui {

void RegisterQmlTypes() {
  const char* uri = "Vpvm";
  const QString why = QStringLiteral("made by C++ with its connection");
  qmlRegisterUncreatableType<AccessTokens>(uri, 1, 0, "AccessTokens", why);
  qmlRegisterUncreatableType<TokenListModel>(uri, 1, 0, "TokenListModel", why);
  qmlRegisterUncreatableType<VmListModel>(uri, 1, 0, "VmListModel", why);
  qmlRegisterUncreatableType<TokenForm>(uri, 1, 0, "TokenForm", why);
}

void UseStyle() { QQuickStyle::setStyle(QStringLiteral("Fusion")); }

}  // namespace vpvm::gui
