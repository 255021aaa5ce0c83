import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The right panel while the selected token is edited: its fields, Save Changes and Cancel.
Flickable {
    id: panel
    required property QtObject backend
    contentHeight: column.implicitHeight + Theme.gap * 4
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    ColumnLayout {
        id: column
        x: Theme.gap * 2
        y: Theme.gap * 2
        width: panel.width - Theme.gap * 4
        spacing: 16
        Text {
            text: qsTr("Edit “%1”").arg(panel.backend.selected.label ?? "")
            color: Theme.text
            font.pixelSize: 22
            font.bold: true
        }
        TokenFormView {
            Layout.fillWidth: true
            backend: panel.backend
        }
        RowLayout {
            spacing: 8
            PrimaryButton {
                objectName: "saveButton"
                text: qsTr("Save Changes")
                enabled: !panel.backend.busy
                onClicked: panel.backend.submitEdit()
            }
            Button {
                objectName: "cancelEditButton"
                text: qsTr("Cancel")
                onClicked: panel.backend.cancelEdit()
            }
        }
    }
}
