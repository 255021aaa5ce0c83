// main() of the Qt Quick tests of the GUI: the window's C++ types, its style and the harness
// (a real vpvmd per test) are made available to every QML test file before it loads.

#include <QQmlContext>
#include <QQmlEngine>
#include <QtQuickTest>

#include "gui-qml/gui_setup.h"
#include "tests/gui/harness.h"

class Setup : public QObject {
  Q_OBJECT

 public slots:
  void applicationAvailable() {
    vpvm::gui::RegisterQmlTypes();
    vpvm::gui::UseStyle();
  }
  void qmlEngineAvailable(QQmlEngine* engine) {
    engine->rootContext()->setContextProperty("harness", &harness_);
  }
  void cleanupTestCase() { harness_.stopDaemon(); }

 private:
  vpvm::gui::testing::Harness harness_;
};

QUICK_TEST_MAIN_WITH_SETUP(vpvm_gui, Setup)

#include "quick_test_main.moc"
