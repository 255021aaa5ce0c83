import QtQuick
import QtQuick.Layouts

// One titled block of the detail panel.
ColumnLayout {
    property alias title: heading.text
    default property alias content: body.data
    spacing: 4
    Text {
        id: heading
        color: Theme.muted
        font.pixelSize: 11
        font.bold: true
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
    }
    ColumnLayout {
        id: body
        Layout.fillWidth: true
        spacing: 4
    }
}
