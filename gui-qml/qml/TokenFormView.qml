import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The fields of a token, for the Create Token sheet and the Edit form: label, VMs, access level,
// expiry and, for Admin on All VMs only, the extended permissions.
ColumnLayout {
    id: formView
    required property QtObject backend
    readonly property QtObject form: backend.form
    readonly property alias datePicker: datePicker
    objectName: "tokenForm"
    spacing: 14

    Section {
        title: qsTr("Label")
        Layout.fillWidth: true
        TextField {
            objectName: "labelField"
            Layout.fillWidth: true
            placeholderText: qsTr("What the token is for, e.g. CI Pipeline")
            maximumLength: 100
            text: formView.form.label
            onTextEdited: formView.form.label = text
        }
    }

    Section {
        title: qsTr("Virtual Machines")
        Layout.fillWidth: true
        RowLayout {
            spacing: 16
            RadioButton {
                objectName: "allVmsRadio"
                text: "★ " + qsTr("All VMs")
                checked: formView.form.allVms
                onToggled: formView.form.allVms = true
            }
            RadioButton {
                objectName: "someVmsRadio"
                text: qsTr("Chosen VMs")
                checked: !formView.form.allVms
                onToggled: formView.form.allVms = false
            }
        }
        Rectangle {
            visible: !formView.form.allVms
            Layout.fillWidth: true
            implicitHeight: Math.min(vmColumn.implicitHeight + 8, 150)
            color: Theme.panel
            border.color: Theme.border
            radius: Theme.radius
            clip: true
            Flickable {
                anchors.fill: parent
                anchors.margins: 4
                contentHeight: vmColumn.implicitHeight
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar {}
                Column {
                    id: vmColumn
                    width: parent.width
                    Repeater {
                        model: formView.backend.vms
                        delegate: CheckBox {
                            required property string vmId
                            required property string name
                            required property string vmState
                            objectName: "vm_" + name
                            text: name + "  ·  " + vmState
                            checked: formView.form.vmIds.indexOf(vmId) >= 0
                            onToggled: formView.form.setVmChecked(vmId, checked)
                        }
                    }
                    // Chosen VMs the host no longer has: shown, so they can be unchosen.
                    Repeater {
                        model: formView.form.vmIds.filter(
                                   id => formView.backend.vms.count >= 0
                                         && !formView.backend.vms.contains(id))
                        delegate: CheckBox {
                            required property string modelData
                            objectName: "missing_" + modelData
                            text: "⚠ " + (formView.form.recordedVmName(modelData)
                                          || formView.backend.vms.nameOf(modelData) || modelData)
                                  + "  ·  " + qsTr("no longer exists")
                            palette.windowText: Theme.warning
                            checked: true
                            onToggled: formView.form.setVmChecked(modelData, checked)
                        }
                    }
                    Text {
                        visible: formView.backend.vms.count === 0
                                 && formView.form.vmIds.length === 0
                        padding: 6
                        color: Theme.muted
                        text: qsTr("This host has no VMs yet.")
                    }
                }
            }
        }
    }

    Section {
        title: qsTr("Access Level")
        Layout.fillWidth: true
        RadioButton {
            objectName: "operatorRadio"
            text: qsTr("Operator — view, start, stop, pause, resume, restart, suspend")
            checked: formView.form.level === "operator"
            onToggled: formView.form.level = "operator"
        }
        RadioButton {
            objectName: "adminRadio"
            text: qsTr("Admin — also change configuration, disks, networks, snapshots")
            checked: formView.form.level === "admin"
            onToggled: formView.form.level = "admin"
        }
    }

    Section {
        objectName: "extendedSection"
        visible: formView.form.extendedAvailable
        title: qsTr("Extended Permissions")
        Layout.fillWidth: true
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            color: Theme.muted
            font.pixelSize: 12
            text: qsTr("Only for Admin tokens on All VMs. Cleared if the level or the VMs change.")
        }
        RowLayout {
            spacing: 16
            CheckBox {
                objectName: "templatesCheck"
                text: qsTr("Templates")
                checked: formView.form.templates
                onToggled: formView.form.templates = checked
            }
            CheckBox {
                objectName: "networksCheck"
                text: qsTr("Networks")
                checked: formView.form.networks
                onToggled: formView.form.networks = checked
            }
            CheckBox {
                objectName: "imagesCheck"
                text: qsTr("Images")
                checked: formView.form.images
                onToggled: formView.form.images = checked
            }
        }
    }

    Section {
        title: qsTr("Expiry")
        Layout.fillWidth: true
        Switch {
            objectName: "neverExpiresSwitch"
            text: qsTr("Never expires")
            checked: formView.form.neverExpires
            onToggled: formView.form.neverExpires = checked
        }
        RowLayout {
            visible: !formView.form.neverExpires
            spacing: 6
            TextField {
                objectName: "expiryField"
                implicitWidth: 130
                placeholderText: "YYYY-MM-DD"
                text: formView.form.expiryDate
                onTextEdited: formView.form.expiryDate = text
            }
            Button {
                objectName: "pickDateButton"
                text: qsTr("Pick…")
                onClicked: datePicker.openAt(formView.form.expiryDate)
            }
            Text {
                color: Theme.muted
                text: qsTr("valid through that day")
            }
        }
        RowLayout {
            visible: !formView.form.neverExpires
            spacing: 2
            Repeater {
                model: [[7, qsTr("7 days")], [30, qsTr("30 days")], [90, qsTr("90 days")],
                        [365, qsTr("1 year")]]
                delegate: Button {
                    required property var modelData
                    objectName: "preset_" + modelData[0]
                    flat: true
                    text: modelData[1]
                    onClicked: formView.form.setExpiryInDays(modelData[0])
                }
            }
        }
    }

    Label {
        objectName: "formError"
        visible: formView.backend.formError !== ""
        Layout.fillWidth: true
        padding: 7
        wrapMode: Text.WordWrap
        color: Theme.danger
        text: formView.backend.formError
        background: Rectangle {
            radius: Theme.radius
            color: Theme.dangerSoft
            border.color: Theme.danger
        }
    }

    DatePicker {
        id: datePicker
        parent: Overlay.overlay
        x: Math.round((parent.width - width) / 2)
        y: Math.round((parent.height - height) / 2)
        onPicked: isoDate => formView.form.expiryDate = isoDate
    }
}
