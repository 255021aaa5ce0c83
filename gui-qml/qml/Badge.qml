import QtQuick

// A small rounded label: a token's scope (Operator, Admin) or status.
Rectangle {
    id: badge
    property alias text: label.text
    property color tint: Theme.operator
    implicitWidth: label.implicitWidth + 14
    implicitHeight: label.implicitHeight + 4
    radius: height / 2
    color: Qt.rgba(tint.r, tint.g, tint.b, 0.13)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.35)
    Text {
        id: label
        anchors.centerIn: parent
        color: badge.tint
        font.pixelSize: 11
        font.bold: true
    }
}
