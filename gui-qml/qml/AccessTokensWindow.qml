import QtQuick
import QtQuick.Controls

// The Access Tokens window, opened from Tools → Access Tokens.
ApplicationWindow {
    id: window
    required property QtObject backend
    title: qsTr("Access Tokens — vpvm")
    width: 1100
    height: 740
    minimumWidth: 820
    minimumHeight: 520
    // Listed again whenever it is opened; nothing is asked of the daemon while it is closed.
    function open() {
        backend.active = true
        show()
        raise()
        requestActivate()
    }
    onClosing: backend.active = false
    Component.onCompleted: backend.active = visible

    AccessTokensView {
        anchors.fill: parent
        backend: window.backend
    }
}
