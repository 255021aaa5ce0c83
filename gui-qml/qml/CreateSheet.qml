import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Create Token sheet. It stays open, as typed, when the daemon refuses the token.
Sheet {
    id: sheet
    required property QtObject backend
    objectName: "createSheet"
    title: qsTr("Create Token")
    width: Math.min(620, (parent ? parent.width : 620) - 40)
    height: Math.min(implicitHeight, (parent ? parent.height : 700) - 40)
    closePolicy: Popup.CloseOnEscape

    contentItem: Flickable {
        implicitHeight: fields.implicitHeight
        contentHeight: fields.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}
        TokenFormView {
            id: fields
            width: parent.width - 12
            backend: sheet.backend
        }
    }

    footer: DialogButtonBox {
        background: null
        padding: 14
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        PrimaryButton {
            objectName: "createButton"
            text: qsTr("Create Token")
            enabled: !sheet.backend.busy
            DialogButtonBox.buttonRole: DialogButtonBox.ApplyRole
            onClicked: sheet.backend.submitCreate()
        }
    }

    Connections {
        target: sheet.backend
        function onFormAccepted() { sheet.close() }
    }
}
