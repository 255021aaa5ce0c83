import QtQuick
import QtTest
import "qrc:/vpvm/qml"

// The sidebar, the detail panel, the missing-VM warning, errors and the Tools menu.
TokensTestCase {
    name: "Window"

    function test_list_shows_every_status_and_the_selected_token() {
        const secret = populate()
        verify(harness.accepts(secret))  // gives CI Pipeline a last use
        backend.pollInterval = 300
        tryVerify(() => row("Old script") !== null && row("Old script").status === "expired",
                  timeout, "Old script expires and the list shows it")
        compare(labels().length, 5)

        const colours = {}
        for (const label of ["CI Pipeline", "Monitoring", "Old script"])
            colours[label] = find(row(label), "statusDot").color.toString()
        compare(colours["CI Pipeline"], "#16a34a")  // green
        compare(colours["Monitoring"], "#9ca3af")   // grey
        compare(colours["Old script"], "#dc2626")   // red
        compare(row("Admin Tool").levelText, "Admin")
        compare(row("CI Pipeline").levelText, "Operator")
        compare(row("Admin Tool").vmScopeText, "All VMs")
        compare(row("CI Pipeline").vmScopeText, "web-1, db-main, staging")
        compare(row("CI Pipeline").missingCount, 1)
        verify(find(row("CI Pipeline"), "missingMark").visible)
        verify(!find(row("Admin Tool"), "missingMark").visible)

        selectRow("CI Pipeline")
        const detail = find(view, "tokenDetail")
        compare(find(detail, "detailLabel").text, "CI Pipeline")
        compare(find(detail, "statusBadge").text, "Active")
        verify(find(detail, "expiryText").text.endsWith(" · 30 days remaining"),
               find(detail, "expiryText").text)
        compare(find(detail, "lastUsedText").text, "Just now on the local socket")
        compare(find(view, "tokenCount").text, "5 tokens")
        const tokenId = find(detail, "tokenIdText").text
        verify(tokenId.startsWith("tok_"), tokenId)
        compare(tokenId, backend.selectedId)
        verify(find(detail, "missingVmWarning").visible)
        verify(!find(detail, "disableTwoFactorButton").visible)  // 2FA not set up
        screenshot("tokens")

        keyClick(Qt.Key_Down)  // the list has the focus once a row is clicked
        tryCompare(backend.selected, "label", "Admin Tool")
        keyClick(Qt.Key_Up)
        tryCompare(backend.selected, "label", "CI Pipeline")
        keyClick(Qt.Key_Up)  // the first row stays selected
        compare(backend.selected.label, "CI Pipeline")

        click(detail, "copyTokenIdButton")
        compare(harness.clipboardText(), tokenId)
    }

    function test_filter_pills_and_search_as_you_type() {
        populate()
        backend.pollInterval = 300
        tryVerify(() => row("Old script") !== null && row("Old script").status === "expired",
                  timeout)

        click(view, "filter_disabled")
        tryVerify(() => labels().join() === "Monitoring", timeout, labels().join())
        click(view, "filter_expired")
        tryVerify(() => labels().join() === "Old script", timeout, labels().join())
        click(view, "filter_active")
        tryVerify(() => labels().length === 3, timeout, labels().join())
        verify(labels().indexOf("Monitoring") < 0)

        click(view, "filter_all")
        const search = find(view, "searchField")
        typeInto(search, "db-m")  // a VM name
        tryVerify(() => labels().sort().join() === "CI Pipeline,Nightly backup", timeout,
                  labels().join())
        typeInto(search, "ADMIN")  // a label, any case
        tryVerify(() => labels().join() === "Admin Tool", timeout, labels().join())
        typeInto(search, "nothing like it")
        tryVerify(() => labels().length === 0, timeout)
    }

    function test_warns_of_a_listed_vm_that_no_longer_exists() {
        verify(harness.createVm("web-1") !== "")
        verify(harness.createVm("scratch") !== "")
        harness.createToken("CI Pipeline", false, ["web-1", "scratch"], 0)
        relist()
        selectRow("CI Pipeline")
        const warning = find(view, "missingVmWarning")
        verify(!warning.visible)

        verify(harness.deleteVm("scratch"))
        relist()
        tryVerify(() => warning.visible, timeout)
        verify(warning.text.indexOf("1 listed VM no longer exists") >= 0, warning.text)
        compare(row("CI Pipeline").missingCount, 1)
    }

    function test_an_unreachable_daemon_is_said_in_words() {
        const banner = find(view, "errorBanner")
        verify(!banner.visible)
        harness.stopDaemon()
        relist()
        tryVerify(() => banner.visible, timeout)
        const text = find(banner, "errorText").text
        verify(text.startsWith("Cannot reach the local vpvmd"), text)
        verify(text.indexOf("is vpvmd running?") > 0, text)
        screenshot("unreachable")
    }

    Component {
        id: mainComponent
        Main {}
    }

    function test_tools_menu_opens_the_access_tokens_window() {
        const main = createTemporaryObject(mainComponent, null, {backend: backend})
        verify(main)
        verify(!main.tokensWindow.visible)
        const tools = main.menuBar.menuAt(1)
        compare(tools.title, "&Tools")
        const action = tools.actionAt(0)
        compare(action.text, "&Access Tokens…")
        verify(!backend.active, "a hidden window lists nothing")
        const before = backend.listings
        action.trigger()
        tryCompare(main.tokensWindow, "visible", true)
        verify(backend.active)
        tryVerify(() => backend.listings > before, timeout, "listed when shown")
        compare(main.tokensWindow.title, "Access Tokens — vpvm")
        main.tokensWindow.close()
        verify(!backend.active, "a closed window lists nothing")
        main.close()
    }
}
