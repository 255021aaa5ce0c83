import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Create Token sheet. It stays open, as typed, when the daemon refuses the token.
Dialog {
    id: sheet
    required property QtObject backend
    objectName: "createSheet"
    title: qsTr("Create Token")
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
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "createButton"
            text: qsTr("Create Token")
            highlighted: true
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
