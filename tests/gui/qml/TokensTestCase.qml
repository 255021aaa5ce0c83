import QtQuick
import QtTest
import "qrc:/vpvm/qml"

// What the window's tests share: before each test a fresh vpvmd and the Access Tokens view on
// it, filling the test window; helpers to find, click and type.
TestCase {
    id: testCase
    width: 1100
    height: 720
    when: windowShown
    visible: true  // a TestCase is hidden by default, and so would be the view on it

    property QtObject backend: null
    property Item view: null
    readonly property int timeout: 20000

    Component {
        id: viewComponent
        AccessTokensView {}
    }

    function initTestCase() {
        Theme.animations = false
    }

    function init() {
        backend = harness.startDaemon()
        verify(backend, "vpvmd started")
        view = createTemporaryObject(viewComponent, testCase,
                                     {backend: backend, width: width, height: height})
        verify(view)
        tryVerify(() => backend.listings > 0, timeout)
        verify(backend.connected, backend.errorMessage)
    }

    function cleanup() {
        for (const sheet of [view.createSheet, view.revealSheet, view.confirmSheet])
            sheet.close()
        harness.stopDaemon()
    }

    // Tokens of every status on a host with VMs, one of which is deleted; returns CI Pipeline's
    // secret.
    function populate() {
        verify(harness.createVm("web-1") !== "")
        verify(harness.createVm("db-main") !== "")
        verify(harness.createVm("staging") !== "")
        const ci = harness.createToken("CI Pipeline", false, ["web-1", "db-main", "staging"],
                                       30 * 86400)
        harness.createToken("Admin Tool", true, [], 0)
        const monitoring = harness.createToken("Monitoring", false, [], 0)
        verify(harness.disableToken(monitoring.tokenId))
        harness.createToken("Nightly backup", false, ["db-main"], 90 * 86400)
        harness.createToken("Old script", false, ["web-1"], 1)
        verify(harness.deleteVm("staging"))
        return ci.secret
    }

    // Lists again and waits for the answer.
    function relist() {
        const before = backend.listings
        backend.refresh()
        tryVerify(() => backend.listings > before, timeout)
    }

    function labels() {
        const result = []
        for (let i = 0; i < backend.tokens.count; ++i)
            result.push(backend.tokens.get(i).label)
        return result
    }

    // The sidebar row of the token labelled `label`.
    function row(label) {
        const list = findChild(view, "tokenList")
        for (let i = 0; i < list.count; ++i) {
            const item = list.itemAtIndex(i)
            if (item && item.label === label)
                return item
        }
        return null
    }

    function selectRow(label) {
        tryVerify(() => row(label) !== null, timeout, "row " + label)
        verify(harness.settle(row(label)))
        mouseClick(row(label))
        tryCompare(backend.selected, "label", label)
    }

    function find(parent, name) {
        const item = findChild(parent, name)
        verify(item, name + " not found")
        return item
    }

    function click(parent, name) {
        const item = find(parent, name)
        verify(harness.settle(item))
        verify(item.visible, name + " is hidden")
        mouseClick(item)
        return item
    }

    // Types `text` into `field`, replacing what it held.
    function typeInto(field, text) {
        verify(harness.settle(field))
        mouseClick(field)
        field.selectAll()
        keyClick(Qt.Key_Delete)
        for (const ch of text)
            keyClick(ch)
    }

    function openCreateSheet() {
        click(view, "newTokenButton")
        tryCompare(view.createSheet, "opened", true)
        return view.createSheet
    }

    function confirm() {
        tryCompare(view.confirmSheet, "opened", true)
        click(view.confirmSheet.footer, "confirmButton")
        tryCompare(view.confirmSheet, "visible", false)
    }

    // Saves a screenshot of the window and checks that it shows something.
    function screenshot(name) {
        mouseMove(view, view.width - 2, view.height - 2)  // no hover left where the last click was
        verify(harness.settle(view))  // laid out; grabbing the window renders it afresh
        const colours = harness.saveScreenshot(view, name)
        verify(colours > 40, name + ": only " + colours + " colours")
    }
}
