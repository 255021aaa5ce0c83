pragma Singleton
import QtQuick

// Colours and sizes the window shares.
QtObject {
    // Tests turn the sheets' transitions off.
    property bool animations: true
    readonly property color window: "#f6f7f9"
    readonly property color sidebar: "#eef0f3"
    readonly property color panel: "#ffffff"
    readonly property color border: "#d9dde3"
    readonly property color text: "#1f2328"
    readonly property color muted: "#667085"
    readonly property color accent: "#2563eb"
    readonly property color accentSoft: "#dbe7fd"
    readonly property color active: "#16a34a"
    readonly property color disabled: "#9ca3af"
    readonly property color expired: "#dc2626"
    readonly property color warning: "#ea7a0c"
    readonly property color warningSoft: "#fff4e5"
    readonly property color danger: "#dc2626"
    readonly property color dangerSoft: "#fdecec"
    readonly property color admin: "#7c3aed"
    readonly property color operator: "#0e7490"
    readonly property int radius: 6
    readonly property int gap: 12

    function statusColor(status) {
        return status === "active" ? active : status === "disabled" ? disabled : expired
    }
    function levelColor(levelText) {
        return levelText === "Admin" ? admin : levelText === "Master" ? text : operator
    }
}
