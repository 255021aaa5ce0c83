import QtQuick
import QtQuick.Layouts

// A token in the sidebar: status dot, label, VM scope and scope badge.
Rectangle {
    id: row
    required property string tokenId
    required property string label
    required property string status
    required property string levelText
    required property string vmScopeText
    required property int missingCount
    property bool selected: false
    signal clicked()

    height: 60
    radius: Theme.radius
    color: selected ? Theme.accentSoft : hover.hovered ? "#e4e7ec" : "transparent"
    border.color: selected ? Theme.accent : "transparent"

    HoverHandler { id: hover }
    TapHandler { onTapped: row.clicked() }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 10
        spacing: 10
        StatusDot {
            objectName: "statusDot"
            status: row.status
        }
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            Text {
                Layout.fillWidth: true
                text: row.label
                color: Theme.text
                font.pixelSize: 14
                font.bold: true
                elide: Text.ElideRight
            }
            RowLayout {
                Layout.fillWidth: true
                spacing: 4
                Text {
                    objectName: "missingMark"
                    visible: row.missingCount > 0
                    text: "⚠"
                    color: Theme.warning
                    font.pixelSize: 12
                    font.bold: true
                }
                Text {
                    Layout.fillWidth: true
                    text: (row.vmScopeText === "All VMs" ? "★ " : "") + row.vmScopeText
                    color: Theme.muted
                    font.pixelSize: 12
                    elide: Text.ElideRight
                }
            }
        }
        Badge {
            text: row.levelText
            tint: Theme.levelColor(row.levelText)
        }
    }
}
