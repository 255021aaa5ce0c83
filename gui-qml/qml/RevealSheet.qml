import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Shows a new secret once, after create or rotate, with a copy button and a clear warning.
Sheet {
    id: sheet
    required property QtObject backend
    property string label
    property string secret
    property bool rotated: false
    objectName: "revealSheet"
    title: rotated ? qsTr("New Secret for “%1”").arg(label) : qsTr("Token “%1” Created").arg(label)
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
        Label {
            objectName: "secretWarning"
            Layout.fillWidth: true
            padding: 8
            wrapMode: Text.WordWrap
            color: "#9a4a00"
            font.bold: true
            text: "▲ " + qsTr("This secret will not be shown again. Copy it and store it "
                              + "safely now; vpvmd keeps only a hash of it.")
            background: Rectangle {
                radius: Theme.radius
                color: Theme.warningSoft
                border.color: Theme.warning
            }
        }
    }

    footer: DialogButtonBox {
        background: null
        padding: 14
        PrimaryButton {
            objectName: "doneButton"
            text: qsTr("Done")
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }
}
