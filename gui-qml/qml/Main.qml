import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// vpvm-gui's main window: its menu leads to the tools, Tools → Access Tokens among them.
ApplicationWindow {
    id: main
    required property QtObject backend
    property bool openTokens: false
    readonly property alias tokensWindow: tokensWindow
    title: "vpvm"
    width: 560
    height: 340
    visible: true

    menuBar: MenuBar {
        Menu {
            title: qsTr("&File")
            Action {
                text: qsTr("&Quit")
                shortcut: StandardKey.Quit
                onTriggered: Qt.quit()
            }
        }
        Menu {
            title: qsTr("&Tools")
            Action {
                id: accessTokensAction
                objectName: "accessTokensAction"
                text: qsTr("&Access Tokens…")
                shortcut: "Ctrl+T"
                onTriggered: tokensWindow.open()
            }
        }
    }

    Rectangle {
        anchors.fill: parent
        color: Theme.window
        ColumnLayout {
            anchors.centerIn: parent
            spacing: 12
            Text {
                Layout.alignment: Qt.AlignHCenter
                text: "vpvm"
                color: Theme.text
                font.pixelSize: 28
                font.bold: true
            }
            Text {
                Layout.alignment: Qt.AlignHCenter
                text: main.backend.connectionText
                color: Theme.muted
            }
            Button {
                Layout.alignment: Qt.AlignHCenter
                action: accessTokensAction
            }
        }
    }

    AccessTokensWindow {
        id: tokensWindow
        backend: main.backend
    }

    // After this window is shown, so that the Access Tokens window comes up above it.
    Component.onCompleted: if (openTokens) Qt.callLater(accessTokensAction.trigger)
}
