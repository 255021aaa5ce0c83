import QtQuick

// A token's status as a coloured dot: green Active, grey Disabled, red Expired.
Rectangle {
    property string status: "active"
    width: 10
    height: 10
    radius: 5
    color: Theme.statusColor(status)
}
