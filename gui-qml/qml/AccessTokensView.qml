import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The content of the Access Tokens window: the error banner, the sidebar, the detail panel (or
// the edit form) and the sheets.
Rectangle {
    id: view
    required property QtObject backend
    readonly property alias createSheet: createSheet
    readonly property alias revealSheet: reveal
    readonly property alias confirmSheet: confirm
    color: Theme.window

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Rectangle {
            id: banner
            objectName: "errorBanner"
            visible: view.backend.errorMessage !== ""
            Layout.fillWidth: true
            implicitHeight: bannerRow.implicitHeight + 16
            color: Theme.dangerSoft
            border.color: Theme.danger
            RowLayout {
                id: bannerRow
                anchors.fill: parent
                anchors.margins: 8
                anchors.leftMargin: 14
                spacing: 10
                Text {
                    objectName: "errorText"
                    Layout.fillWidth: true
                    wrapMode: Text.WordWrap
                    color: Theme.danger
                    text: view.backend.errorMessage
                }
                Button {
                    visible: view.backend.untrustedFingerprint !== ""
                    text: qsTr("Trust This Server")
                    onClicked: view.backend.trustServer()
                }
                Button {
                    text: qsTr("Retry")
                    visible: !view.backend.connected
                    onClicked: view.backend.refresh()
                }
                Button {
                    text: qsTr("Dismiss")
                    onClicked: view.backend.dismissError()
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            Sidebar {
                Layout.preferredWidth: 340
                Layout.fillHeight: true
                backend: view.backend
                onNewToken: {
                    view.backend.startCreate()
                    createSheet.open()
                }
            }
            Rectangle {
                Layout.fillHeight: true
                width: 1
                color: Theme.border
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: Theme.panel

                Text {
                    anchors.centerIn: parent
                    visible: view.backend.selectedId === ""
                    color: Theme.muted
                    font.pixelSize: 15
                    text: qsTr("Select a token to see its details.")
                }
                TokenDetail {
                    objectName: "tokenDetail"
                    anchors.fill: parent
                    visible: view.backend.selectedId !== "" && !view.backend.editing
                    backend: view.backend
                    onRotateRequested: confirm.ask(
                        qsTr("Rotate Secret"),
                        qsTr("“%1” gets a new secret, shown once. The current secret stops "
                             + "working at once, everywhere it is used.").arg(token.label),
                        qsTr("Rotate Secret"), true,
                        () => view.backend.rotate(token.tokenId))
                    onRevokeRequested: confirm.ask(
                        qsTr("Revoke Token"),
                        qsTr("“%1” is deleted for good and stops working at once. This cannot "
                             + "be undone.").arg(token.label),
                        qsTr("Revoke"), true,
                        () => view.backend.revoke(token.tokenId))
                    onDisableTwoFactorRequested: confirm.ask(
                        qsTr("Disable Two-Factor Auth"),
                        qsTr("“%1” signs in to the dashboard without a code from now on, and its "
                             + "open dashboard sessions end.").arg(token.label),
                        qsTr("Disable 2FA"), true,
                        () => view.backend.disableTwoFactor(token.tokenId))
                }
                EditPanel {
                    objectName: "editPanel"
                    anchors.fill: parent
                    visible: view.backend.editing
                    backend: view.backend
                }
                BusyIndicator {
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 10
                    width: 28
                    height: 28
                    running: view.backend.busy
                }
            }
        }
    }

    CreateSheet {
        id: createSheet
        backend: view.backend
    }
    RevealSheet {
        id: reveal
        backend: view.backend
    }
    ConfirmSheet {
        id: confirm
    }
    Connections {
        target: view.backend
        function onSecretRevealed(label, secret, rotated) { reveal.reveal(label, secret, rotated) }
    }
}
