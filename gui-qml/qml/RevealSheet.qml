import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Shows a new secret once, after create or rotate, with a copy button and a clear warning.
Dialog {
    id: sheet
    required property QtObject backend
    property string label
    property string secret
    property bool rotated: false
    objectName: "revealSheet"
    title: rotated ? qsTr("New Secret for “%1”").arg(label) : qsTr("Token “%1” Created").arg(label)
    modal: true
    enter: Transition {
        enabled: Theme.animations
        NumberAnimation { property: "opacity"; from: 0; to: 1; duration: 120 }
    }
    exit: Transition {
        enabled: Theme.animations
        NumberAnimation { property: "opacity"; from: 1; to: 0; duration: 100 }
    }
    anchors.centerIn: Overlay.overlay
    width: 580
    closePolicy: Popup.NoAutoClose

    function reveal(label, secret, rotated) {
        sheet.label = label
        sheet.secret = secret
        sheet.rotated = rotated
        copied.visible = false
        open()
    }
    // The secret leaves memory that QML holds once the sheet is done with.
    onClosed: secret = ""

    ColumnLayout {
        anchors.fill: parent
        spacing: 12
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            color: Theme.text
            text: qsTr("Use this secret wherever the token is needed (the x-auth-token header, "
                       + "or --token for the vpvm command).")
        }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                objectName: "secretField"
                Layout.fillWidth: true
                readOnly: true
                selectByMouse: true
                text: sheet.secret
                font.family: "DejaVu Sans Mono"
                font.pixelSize: 14
            }
            Button {
                objectName: "copySecretButton"
                text: qsTr("Copy")
                onClicked: {
                    sheet.backend.copyToClipboard(sheet.secret)
                    copied.visible = true
                }
            }
        }
        Text {
            id: copied
            visible: false
            color: Theme.active
            text: qsTr("Copied to the clipboard.")
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: warning.implicitHeight + 16
            radius: Theme.radius
            color: Theme.warningSoft
            border.color: Theme.warning
            Text {
                id: warning
                anchors.fill: parent
                anchors.margins: 8
                wrapMode: Text.WordWrap
                color: "#9a4a00"
                font.bold: true
                text: "▲ " + qsTr("This secret will not be shown again. Copy it and store it "
                                  + "safely now; vpvmd keeps only a hash of it.")
            }
        }
    }

    footer: DialogButtonBox {
        Button {
            objectName: "doneButton"
            text: qsTr("Done")
            highlighted: true
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }
}
