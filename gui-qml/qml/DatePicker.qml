import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A month to pick the expiry day from; days before today cannot be picked. Days are handed out
// as "yyyy-MM-dd" from the grid's own year, month and day, never through a Date, so that no time
// zone can move them.
Popup {
    id: picker
    signal picked(string isoDate)
    property int month: new Date().getMonth()
    property int year: new Date().getFullYear()
    readonly property string today: isoOf(new Date().getFullYear(), new Date().getMonth(),
                                          new Date().getDate())

    function isoOf(year, month, day) {
        return year + "-" + String(month + 1).padStart(2, "0") + "-" + String(day).padStart(2, "0")
    }
    // Opens on the month of `isoDate` ("yyyy-MM-dd"), or on this month.
    function openAt(isoDate) {
        const parts = /^(\d{4})-(\d{2})-\d{2}$/.exec(isoDate)
        if (parts) {
            year = Number(parts[1])
            month = Number(parts[2]) - 1
        }
        open()
    }
    function step(months) {
        const index = year * 12 + month + months
        year = Math.floor(index / 12)
        month = index % 12
    }

    objectName: "datePicker"
    padding: 10
    modal: true
    background: Rectangle {
        color: Theme.panel
        radius: 8
        border.color: Theme.border
    }

    contentItem: ColumnLayout {
        spacing: 6
        RowLayout {
            Layout.fillWidth: true
            Button {
                objectName: "previousMonth"
                text: "‹"
                flat: true
                enabled: picker.isoOf(picker.year, picker.month, 31) >= picker.today
                onClicked: picker.step(-1)
            }
            Text {
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                text: Qt.locale().standaloneMonthName(picker.month) + " " + picker.year
                color: Theme.text
                font.bold: true
            }
            Button {
                objectName: "nextMonth"
                text: "›"
                flat: true
                onClicked: picker.step(1)
            }
        }
        DayOfWeekRow {
            Layout.fillWidth: true
            locale: grid.locale
        }
        MonthGrid {
            id: grid
            Layout.fillWidth: true
            month: picker.month
            year: picker.year
            locale: Qt.locale()
            delegate: Rectangle {
                id: day
                required property var model
                readonly property string iso: picker.isoOf(model.year, model.month, model.day)
                readonly property bool past: iso < picker.today
                objectName: "day_" + iso
                implicitWidth: 34
                implicitHeight: 28
                radius: 4
                color: hover.hovered && !past ? Theme.accentSoft : "transparent"
                border.color: iso === picker.today ? Theme.accent : "transparent"
                opacity: model.month === grid.month ? 1 : 0.35
                Text {
                    anchors.centerIn: parent
                    text: day.model.day
                    color: day.past ? Theme.disabled : Theme.text
                }
                HoverHandler { id: hover }
                TapHandler {
                    enabled: !day.past
                    onTapped: {
                        picker.picked(day.iso)
                        picker.close()
                    }
                }
            }
        }
    }
}
