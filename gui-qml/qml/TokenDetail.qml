import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The right panel for the selected token: what it is, what it may do, and its actions.
Flickable {
    id: detail
    required property QtObject backend
    readonly property var token: backend.selected
    signal rotateRequested()
    signal revokeRequested()
    signal disableTwoFactorRequested()

    contentHeight: column.implicitHeight + 2 * Theme.gap * 2
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    ColumnLayout {
        id: column
        x: Theme.gap * 2
        y: Theme.gap * 2
        width: detail.width - Theme.gap * 4
        spacing: 18

        // Header: label, creation date, status.
        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                Text {
                    objectName: "detailLabel"
                    Layout.fillWidth: true
                    text: detail.token.label ?? ""
                    color: Theme.text
                    font.pixelSize: 22
                    font.bold: true
                    elide: Text.ElideRight
                }
                Text {
                    text: qsTr("Created %1").arg(detail.token.createdText ?? "")
                    color: Theme.muted
                    font.pixelSize: 12
                }
            }
            Badge {
                objectName: "statusBadge"
                text: detail.token.statusText ?? ""
                tint: Theme.statusColor(detail.token.status)
            }
        }

        Section {
            title: qsTr("Virtual Machines")
            Layout.fillWidth: true
            Text {
                visible: detail.token.allVms === true
                text: "★ " + qsTr("All VMs")
                color: Theme.text
                font.pixelSize: 14
            }
            Repeater {
                model: detail.token.allVms ? [] : (detail.token.vms ?? [])
                delegate: Text {
                    required property var modelData
                    text: (modelData.missing ? "⚠ " : "• ") + modelData.name
                          + (modelData.missing ? "  " + qsTr("(no longer exists)") : "")
                    color: modelData.missing ? Theme.warning : Theme.text
                    font.pixelSize: 14
                }
            }
            Label {
                objectName: "missingVmWarning"
                visible: (detail.token.missingCount ?? 0) > 0
                Layout.fillWidth: true
                padding: 7
                wrapMode: Text.WordWrap
                color: Theme.warning
                font.pixelSize: 13
                text: "▲ " + ((detail.token.missingCount ?? 0) === 1
                              ? qsTr("1 listed VM no longer exists.")
                              : qsTr("%1 listed VMs no longer exist.")
                                    .arg(detail.token.missingCount))
                      + " " + qsTr("A new VM with the same name gains no access.")
                background: Rectangle {
                    radius: Theme.radius
                    color: Theme.warningSoft
                    border.color: Theme.warning
                }
            }
        }

        Section {
            title: qsTr("Access Level")
            Layout.fillWidth: true
            Badge {
                text: detail.token.levelText ?? ""
                tint: Theme.levelColor(detail.token.levelText)
            }
            Text {
                Layout.fillWidth: true
                text: detail.token.levelDescription ?? ""
                color: Theme.text
                wrapMode: Text.WordWrap
                font.pixelSize: 13
            }
            Text {
                objectName: "extendedText"
                visible: (detail.token.extended ?? []).length > 0
                text: qsTr("Extended permissions: %1").arg((detail.token.extended ?? []).join(", "))
                color: Theme.text
                font.pixelSize: 13
            }
        }

        Section {
            title: qsTr("Expiry")
            Layout.fillWidth: true
            Text {
                objectName: "expiryText"
                text: detail.token.neverExpires ? qsTr("Never expires")
                      : detail.token.expiryText + " · " + detail.token.expiryRemaining
                color: detail.token.status === "expired" ? Theme.expired : Theme.text
                font.pixelSize: 14
            }
        }

        Section {
            title: qsTr("Activity")
            Layout.fillWidth: true
            Text {
                objectName: "lastUsedText"
                text: detail.token.lastUsedText ?? ""
                color: Theme.text
                font.pixelSize: 14
            }
        }

        Section {
            title: qsTr("Two-Factor Auth")
            Layout.fillWidth: true
            RowLayout {
                spacing: 10
                Text {
                    text: detail.token.twoFactor
                          ? qsTr("Active (dashboard sign-in asks for a code)")
                          : qsTr("Not set up")
                    color: Theme.text
                    font.pixelSize: 14
                }
                Button {
                    objectName: "disableTwoFactorButton"
                    visible: detail.token.twoFactor === true
                    text: qsTr("Disable…")
                    onClicked: detail.disableTwoFactorRequested()
                }
            }
        }

        Section {
            title: qsTr("Token ID")
            Layout.fillWidth: true
            RowLayout {
                spacing: 10
                Text {
                    objectName: "tokenIdText"
                    text: detail.token.tokenId ?? ""
                    color: Theme.text
                    font.family: "DejaVu Sans Mono"
                    font.pixelSize: 14
                }
                Button {
                    objectName: "copyTokenIdButton"
                    text: qsTr("Copy")
                    onClicked: detail.backend.copyToClipboard(detail.token.tokenId)
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            height: 1
            color: Theme.border
        }

        Text {
            visible: detail.token.isMaster === true
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            color: Theme.muted
            text: qsTr("The master token cannot be edited, disabled or revoked here. Rotate it "
                       + "with `vpvm token rotate master`.")
        }

        RowLayout {
            visible: detail.token.isMaster !== true
            spacing: 8
            Button {
                objectName: "editButton"
                text: qsTr("Edit")
                onClicked: detail.backend.startEdit()
            }
            Button {
                objectName: "rotateButton"
                text: qsTr("Rotate Secret…")
                onClicked: detail.rotateRequested()
            }
            Button {
                objectName: "disableButton"
                text: detail.token.disabled ? qsTr("Enable") : qsTr("Disable")
                onClicked: detail.token.disabled ? detail.backend.enable(detail.token.tokenId)
                                                 : detail.backend.disable(detail.token.tokenId)
            }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "revokeButton"
                text: qsTr("Revoke…")
                palette.buttonText: Theme.danger
                onClicked: detail.revokeRequested()
            }
        }
    }
}
