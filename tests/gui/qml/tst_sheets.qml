import QtQuick
import QtTest

// The Create Token and Token Reveal sheets, the Edit form and the confirmed actions.
TokensTestCase {
    name: "Sheets"

    function test_extended_permissions_only_for_admin_on_all_vms() {
        verify(harness.createVm("web-1") !== "")
        const sheet = openCreateSheet()
        const form = sheet.contentItem
        const extended = find(form, "extendedSection")
        verify(!extended.visible)  // Operator, All VMs

        click(form, "adminRadio")
        tryCompare(extended, "visible", true)
        const templates = find(form, "templatesCheck")
        verify(!templates.checked && !find(form, "networksCheck").checked
               && !find(form, "imagesCheck").checked, "all off by default")
        click(form, "templatesCheck")
        verify(backend.form.templates)

        click(form, "operatorRadio")  // the level changes
        tryCompare(extended, "visible", false)
        verify(!backend.form.templates)
        click(form, "adminRadio")
        tryCompare(extended, "visible", true)
        verify(!templates.checked, "cleared when the level changed")

        click(form, "templatesCheck")
        click(form, "someVmsRadio")  // the scope narrows
        tryCompare(extended, "visible", false)
        click(form, "allVmsRadio")
        tryCompare(extended, "visible", true)
        verify(!templates.checked, "cleared when the scope narrowed")
    }

    function test_create_an_admin_token_and_reveal_its_secret() {
        populate()
        relist()
        const sheet = openCreateSheet()
        const form = sheet.contentItem
        typeInto(find(form, "labelField"), "Release automation")
        click(form, "adminRadio")
        click(form, "templatesCheck")
        click(form, "imagesCheck")
        screenshot("create")

        click(sheet.footer, "createButton")
        const reveal = view.revealSheet
        tryCompare(reveal, "opened", true)
        verify(!sheet.visible)
        const secret = find(reveal.contentItem, "secretField").text
        verify(secret.startsWith("vpvm_"), secret)
        compare(reveal.title, "Token “Release automation” Created")
        verify(harness.accepts(secret))
        const warning = find(reveal.contentItem, "secretWarning").text
        verify(warning.indexOf("will not be shown again") > 0)
        screenshot("reveal")
        click(reveal.contentItem, "copySecretButton")
        compare(harness.clipboardText(), secret)

        click(reveal.footer, "doneButton")
        tryCompare(reveal, "visible", false)
        compare(reveal.secret, "")
        tryCompare(backend.selected, "label", "Release automation")
        const stored = harness.storedToken(backend.selectedId)
        compare(stored.level, "admin")
        compare(stored.allVms, true)
        compare(stored.extended, 2)
        tryVerify(() => row("Release automation") !== null, timeout)
    }

    function test_create_an_operator_token_on_chosen_vms() {
        verify(harness.createVm("web-1") !== "")
        verify(harness.createVm("db-main") !== "")
        const sheet = openCreateSheet()
        const form = sheet.contentItem
        typeInto(find(form, "labelField"), "CI Pipeline")
        click(form, "someVmsRadio")
        tryVerify(() => findChild(form, "vm_db-main") !== null, timeout)
        click(form, "vm_db-main")
        click(form, "neverExpiresSwitch")
        const picker = find(form, "tokenForm").datePicker
        click(form, "preset_7")
        const week = new Date()
        week.setDate(week.getDate() + 7)
        compare(backend.form.expiryDate,
                picker.isoOf(week.getFullYear(), week.getMonth(), week.getDate()))
        click(form, "pickDateButton")
        tryCompare(picker, "opened", true)
        compare(picker.isoOf(picker.year, picker.month, 1).slice(0, 7),
                backend.form.expiryDate.slice(0, 7), "opens on the month of the date in the form")
        const today = new Date()
        picker.year = today.getFullYear()
        picker.month = today.getMonth()
        if (today.getDate() > 1) {  // a day already past cannot be picked
            const first = picker.isoOf(today.getFullYear(), today.getMonth(), 1)
            click(picker.contentItem, "day_" + first)
            verify(picker.opened)
        }
        screenshot("date-picker")
        click(picker.contentItem, "nextMonth")
        const fifteenth = picker.isoOf(picker.year, picker.month, 15)
        click(picker.contentItem, "day_" + fifteenth)
        tryCompare(picker, "visible", false)
        compare(backend.form.expiryDate, fifteenth)
        compare(find(form, "expiryField").text, fifteenth)
        typeInto(find(form, "expiryField"), "2099-12-31")
        click(sheet.footer, "createButton")
        tryCompare(view.revealSheet, "opened", true)
        click(view.revealSheet.footer, "doneButton")

        const stored = harness.storedToken(backend.selectedId)
        compare(stored.label, "CI Pipeline")
        compare(stored.level, "operator")
        compare(stored.allVms, false)
        compare(stored.vmNames.join(), "db-main")
        verify(backend.selected.expiryText.indexOf("2100") >= 0 ||
               backend.selected.expiryText.indexOf("2099") >= 0, backend.selected.expiryText)
    }

    function test_a_refused_create_keeps_what_was_typed() {
        verify(harness.createVm("web-1") !== "")
        const sheet = openCreateSheet()
        const form = sheet.contentItem
        typeInto(find(form, "labelField"), "Too late")
        click(form, "someVmsRadio")
        tryVerify(() => findChild(form, "vm_web-1") !== null, timeout)
        click(form, "vm_web-1")
        verify(harness.deleteVm("web-1"))  // by another client, while the sheet is open
        click(sheet.footer, "createButton")
        const error = find(form, "formError")
        tryVerify(() => error.visible, timeout)
        compare(backend.formError, "Could not create the token: Unknown VM \"web-1\".")
        // Shown as gone, still chosen; unchoosing it leaves no VM, which is said before sending.
        const goneName = "missing_" + backend.form.vmIds[0]
        tryVerify(() => findChild(form, goneName) !== null, timeout, "the VM shown as gone")
        const gone = find(form, goneName)
        verify(gone.text.indexOf("web-1") >= 0, gone.text)
        verify(sheet.opened)
        compare(find(form, "labelField").text, "Too late")
        verify(!view.revealSheet.visible)
        screenshot("create-refused")
        click(form, "missing_" + backend.form.vmIds[0])
        compare(backend.form.vmIds.length, 0)
        click(sheet.footer, "createButton")
        compare(backend.formError, "Choose at least one VM, or All VMs.")
    }

    function test_a_label_is_asked_for_before_anything_is_sent() {
        const sheet = openCreateSheet()
        click(sheet.footer, "createButton")
        compare(backend.formError, "Give the token a label.")
        verify(find(sheet.contentItem, "formError").visible)
    }

    function test_edit_and_save_changes() {
        verify(harness.createVm("web-1") !== "")
        const token = harness.createToken("CI", false, ["web-1"], 30 * 86400)
        relist()
        selectRow("CI")
        click(view, "editButton")
        const panel = find(view, "editPanel")
        tryCompare(panel, "visible", true)
        verify(!find(view, "tokenDetail").visible)
        typeInto(find(panel, "labelField"), "CI Pipeline")
        click(panel, "adminRadio")
        verify(!find(panel, "extendedSection").visible)  // listed VMs: no extended permissions
        screenshot("edit")
        click(panel, "saveButton")
        tryCompare(panel, "visible", false)
        compare(find(view, "detailLabel").text, "CI Pipeline")
        const stored = harness.storedToken(token.tokenId)
        compare(stored.label, "CI Pipeline")
        compare(stored.level, "admin")
        compare(stored.vmNames.join(), "web-1")
    }

    function test_cancel_an_edit() {
        const token = harness.createToken("CI", false, [], 0)
        relist()
        selectRow("CI")
        click(view, "editButton")
        const panel = find(view, "editPanel")
        tryCompare(panel, "visible", true)
        typeInto(find(panel, "labelField"), "Changed")
        click(panel, "cancelEditButton")
        tryCompare(panel, "visible", false)
        compare(harness.storedToken(token.tokenId).label, "CI")
        compare(find(view, "detailLabel").text, "CI")
    }

    function test_rotate_asks_first_then_reveals_the_new_secret() {
        const token = harness.createToken("CI", false, [], 0)
        relist()
        selectRow("CI")
        click(view, "rotateButton")
        tryCompare(view.confirmSheet, "opened", true)
        view.confirmSheet.reject()  // Cancel
        tryCompare(view.confirmSheet, "visible", false)
        verify(harness.accepts(token.secret), "nothing rotated on Cancel")

        click(view, "rotateButton")
        confirm()
        tryCompare(view.revealSheet, "opened", true)
        compare(view.revealSheet.title, "New Secret for “CI”")
        const secret = find(view.revealSheet.contentItem, "secretField").text
        verify(secret !== token.secret)
        verify(harness.accepts(secret))
        verify(!harness.accepts(token.secret))
    }

    function test_disable_and_enable_act_at_once() {
        const token = harness.createToken("CI", false, [], 0)
        relist()
        selectRow("CI")
        const button = click(view, "disableButton")
        tryCompare(find(view, "statusBadge"), "text", "Disabled")
        compare(button.text, "Enable")
        tryCompare(row("CI"), "status", "disabled")
        verify(!harness.accepts(token.secret))
        click(view, "disableButton")
        tryCompare(find(view, "statusBadge"), "text", "Active")
        compare(button.text, "Disable")
        verify(harness.accepts(token.secret))
    }

    function test_revoke_asks_first_then_the_token_leaves_the_list() {
        harness.createToken("Kept", false, [], 0)
        const token = harness.createToken("Revoked", false, [], 0)
        relist()
        selectRow("Revoked")
        click(view, "revokeButton")
        confirm()
        tryVerify(() => labels().join() === "Kept", timeout, labels().join())
        compare(backend.selectedId, "")
        verify(!find(view, "tokenDetail").visible)
        verify(!harness.accepts(token.secret))
    }

    function test_turning_off_two_factor_auth_asks_first() {
        const token = harness.createToken("Dashboard user", false, [], 0)
        verify(harness.enrollTwoFactor(token.secret))
        relist()
        selectRow("Dashboard user")
        const button = find(view, "disableTwoFactorButton")
        verify(button.visible)
        click(view, "disableTwoFactorButton")
        confirm()
        tryVerify(() => !button.visible, timeout)
        compare(harness.storedToken(token.tokenId).twoFactor, false)
    }
}
