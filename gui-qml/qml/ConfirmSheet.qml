import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Asks before an action that cannot be taken back (rotate, revoke, turning off 2FA).
Sheet {
    id: sheet
    property alias message: text.text
    property string confirmText: qsTr("OK")
    property bool destructive: false
    property var action: null
    objectName: "confirmSheet"
    width: 460

    function ask(title, message, confirmText, destructive, action) {
        sheet.title = title
        sheet.message = message
        sheet.confirmText = confirmText
        sheet.destructive = destructive
        sheet.action = action
        open()
    }
    onAccepted: {
        if (action) action()
        action = null
    }

    Text {
        id: text
        width: parent.width
        wrapMode: Text.WordWrap
        color: Theme.text
    }

    footer: DialogButtonBox {
        background: null
        padding: 14
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "confirmButton"
            text: sheet.confirmText
            palette.buttonText: sheet.destructive ? Theme.danger : Theme.text
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }
}
