#pragma once

// What the Qt Quick tests of the GUI call from QML: a fresh real vpvmd per test with the
// window's backend connected to it, VMs and tokens made beside the window by another client,
// what the daemon stored, and screenshots of the window.

#include <QObject>
#include <QQuickItem>
#include <QStringList>
#include <QVariantMap>
#include <memory>

#include "gui-qml/access_tokens.h"
#include "tests/gui/test_daemon.h"

namespace vpvm::gui::testing {

class Harness : public QObject {
  Q_OBJECT

 public:
  explicit Harness(QObject* parent = nullptr) : QObject(parent) {}

  // Starts a new daemon on a fresh state folder and returns a backend connected to it; the
  // previous daemon is stopped and its backend deleted once control returns to the event loop.
  Q_INVOKABLE QObject* startDaemon();
  Q_INVOKABLE void stopDaemon();

  // Returns the new VM's id, or "" after logging why not.
  Q_INVOKABLE QString createVm(const QString& name);
  Q_INVOKABLE bool deleteVm(const QString& name);
  // A token on `vms` or All VMs, expiring in `expiresInSeconds` unless 0: its Token ID and
  // secret as {tokenId, secret}.
  Q_INVOKABLE QVariantMap createToken(const QString& label, bool admin, const QStringList& vms,
                                      int expiresInSeconds);
  Q_INVOKABLE bool disableToken(const QString& tokenId);
  Q_INVOKABLE bool enrollTwoFactor(const QString& secret);
  // What the daemon stored: {label, level, allVms, vmNames, extended (count), disabled,
  // twoFactor}; empty when it has no such token.
  Q_INVOKABLE QVariantMap storedToken(const QString& tokenId);
  Q_INVOKABLE bool accepts(const QString& secret);

  // What the window put on the clipboard.
  Q_INVOKABLE QString clipboardText() const;

  // Waits until the window of `item` has laid out its items, so that a click lands where the
  // item is now shown.
  Q_INVOKABLE bool settle(QQuickItem* item);

  // Saves the window of `item` as gui-NAME.png in the screenshot folder and returns how many
  // distinct colours it holds (a blank or failed grab has one or two).
  Q_INVOKABLE int saveScreenshot(QQuickItem* item, const QString& name);

 private:
  std::unique_ptr<TestDaemon> daemon_;
  AccessTokens* backend_ = nullptr;
};

}  // namespace vpvm::gui::testing
