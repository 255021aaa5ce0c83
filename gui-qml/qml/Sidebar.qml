import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The left panel: + New Token, the status filter pills, the search field and the token list.
Rectangle {
    id: sidebar
    required property QtObject backend
    signal newToken()

    color: Theme.sidebar

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.gap
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Text {
                Layout.fillWidth: true
                text: qsTr("Access Tokens")
                color: Theme.text
                font.pixelSize: 18
                font.bold: true
            }
            PrimaryButton {
                objectName: "newTokenButton"
                text: qsTr("+ New Token")
                onClicked: sidebar.newToken()
            }
        }

        RowLayout {
            spacing: 6
            Repeater {
                model: [["all", qsTr("All")], ["active", qsTr("Active")],
                        ["disabled", qsTr("Disabled")], ["expired", qsTr("Expired")]]
                delegate: Rectangle {
                    id: pill
                    required property var modelData
                    readonly property bool chosen: sidebar.backend.statusFilter === modelData[0]
                    objectName: "filter_" + modelData[0]
                    implicitWidth: pillText.implicitWidth + 22
                    implicitHeight: 26
                    radius: 13
                    color: chosen ? Theme.accent : Theme.panel
                    border.color: chosen ? Theme.accent : Theme.border
                    Text {
                        id: pillText
                        anchors.centerIn: parent
                        text: pill.modelData[1]
                        color: pill.chosen ? "white" : Theme.text
                        font.pixelSize: 12
                    }
                    TapHandler { onTapped: sidebar.backend.statusFilter = pill.modelData[0] }
                }
            }
        }

        TextField {
            id: search
            objectName: "searchField"
            Layout.fillWidth: true
            placeholderText: qsTr("Search by label or VM name")
            text: sidebar.backend.search
            onTextEdited: sidebar.backend.search = text
        }

        ListView {
            id: list
            objectName: "tokenList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 2
            model: sidebar.backend.tokens
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            delegate: TokenRow {
                width: ListView.view.width
                selected: tokenId === sidebar.backend.selectedId
                onClicked: {
                    list.forceActiveFocus()
                    sidebar.backend.select(tokenId)
                }
            }
            // Up and Down move the selection through the list.
            function selectAt(row) {
                if (row < 0 || row >= count)
                    return
                sidebar.backend.select(model.get(row).tokenId)
                positionViewAtIndex(row, ListView.Contain)
            }
            Keys.onUpPressed: selectAt(model.indexOf(sidebar.backend.selectedId) - 1)
            Keys.onDownPressed: selectAt(model.indexOf(sidebar.backend.selectedId) + 1)
            Text {
                anchors.centerIn: parent
                visible: list.count === 0
                width: parent.width - 20
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
                color: Theme.muted
                text: !sidebar.backend.connected ? qsTr("Not connected")
                      : (sidebar.backend.search !== "" || sidebar.backend.statusFilter !== "all")
                        ? qsTr("No tokens match.") : qsTr("No tokens yet.")
            }
        }

        Text {
            objectName: "tokenCount"
            visible: sidebar.backend.connected && list.count > 0
            text: list.count === 1 ? qsTr("1 token") : qsTr("%1 tokens").arg(list.count)
            color: Theme.muted
            font.pixelSize: 12
        }
        Text {
            Layout.fillWidth: true
            text: sidebar.backend.connectionText
            color: Theme.muted
            font.pixelSize: 11
            elide: Text.ElideMiddle
        }
    }
}
