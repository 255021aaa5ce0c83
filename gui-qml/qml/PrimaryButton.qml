import QtQuick
import QtQuick.Controls

// The button of a panel or sheet that does what it is there for.
Button {
    id: control
    font.bold: true
    leftPadding: 14
    rightPadding: 14
    contentItem: Text {
        text: control.text
        font: control.font
        color: "white"
        opacity: control.enabled ? 1 : 0.6
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        implicitWidth: 80
        implicitHeight: 28
        radius: 4
        color: control.down ? Qt.darker(Theme.accent, 1.2)
                            : control.hovered ? Qt.lighter(Theme.accent, 1.1) : Theme.accent
        opacity: control.enabled ? 1 : 0.6
    }
}
