import QtQuick
import QtQuick.Controls

// What the window's sheets share: modal over the window, a title, room around the content.
Dialog {
    id: sheet
    modal: true
    anchors.centerIn: Overlay.overlay
    padding: 20
    topPadding: 8
    enter: Transition {
        enabled: Theme.animations
        NumberAnimation { property: "opacity"; from: 0; to: 1; duration: 120 }
    }
    exit: Transition {
        enabled: Theme.animations
        NumberAnimation { property: "opacity"; from: 1; to: 0; duration: 100 }
    }
    background: Rectangle {
        color: Theme.panel
        radius: 8
        border.color: Theme.border
    }
    header: Text {
        text: sheet.title
        color: Theme.text
        font.pixelSize: 18
        font.bold: true
        elide: Text.ElideRight
        padding: 20
        bottomPadding: 8
    }
}
