"""The `vpvm` CLI's token commands and `whoami` against a real vpvmd over its local socket: what
they print (human and `-o json`, lists gathered from every page), what the daemon then stored
(checked with python3-grpcio), expiry dates through the end of the day in the user's time zone,
secrets shown once, confirmations with and without a terminal, and the exit codes of refusals
(2 usage or refused input, 3 not authenticated, 4 no such token), each leaving nothing
changed."""

import datetime
import re
import shutil
import tempfile
import time
import unittest
import zoneinfo

from cli_harness import API, NOT_FOUND, SECRET, TOKEN_ID, Client, CliTestCase, instant

OPERATOR, ADMIN = 1, 2
WARNING = r"(?i)(again|once)"  # the secret cannot be shown again
UTC = datetime.timezone.utc


def one_year_ahead():
    today = datetime.datetime.now(UTC).date()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def end_of_day(day, zone):
    """The instant a date given as `--expires` means: the next midnight in `zone`."""
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                         zoneinfo.ZoneInfo(zone))
    return midnight.astimezone(UTC)


def printed_utc(moment):
    """A pattern for `moment` printed as a UTC instant (RFC 3339 or "YYYY-MM-DD HH:MM UTC")."""
    return (re.escape(moment.strftime("%Y-%m-%d")) + "[T ]" + re.escape(moment.strftime("%H:%M"))
            + r"(:00)?(\.0+)?\s*(Z|UTC|\+00:00)")


def line_of(text, label):
    lines = [line for line in text.splitlines() if label in line]
    assert len(lines) == 1, f"{label!r} is not on exactly one line of:\n{text}"
    return lines[0]


class TokenCreateTest(CliTestCase):
    def check_stored(self, token_id, level, vm_ids, expires):
        """Compares the daemon's record, as `token show -o json` and as gRPC see it."""
        shown = self.json("token", "show", token_id)
        for field in ("token_id", "label", "access_level", "vm_scope", "extended_permissions",
                      "status", "disabled", "create_time", "last_used_address",
                      "two_factor_enabled", "is_master", "missing_vm_ids"):
            self.assertIn(field, shown)
        self.assertEqual(shown["token_id"], token_id)
        self.assertEqual(shown["access_level"], ["", "ACCESS_LEVEL_OPERATOR",
                                                 "ACCESS_LEVEL_ADMIN"][level])
        self.assertEqual(shown["vm_scope"].get("all_vms", False), not vm_ids)
        self.assertEqual(sorted(vm["id"] for vm in shown["vm_scope"].get("vms", [])),
                         sorted(vm_ids))
        self.assertEqual(shown["extended_permissions"], [])
        self.assertEqual(shown["status"], "TOKEN_STATUS_ACTIVE")
        self.assertIs(shown["is_master"], False)
        if expires is None:
            self.assertIsNone(shown.get("expire_time"))
        else:
            self.assertEqual(instant(shown["expire_time"]), expires)

        stored = self.rpc("GetToken", token_id=token_id)
        self.assertEqual(stored.access_level, level)
        self.assertEqual(stored.vm_scope.all_vms, not vm_ids)
        self.assertEqual(sorted(vm.id for vm in stored.vm_scope.vms), sorted(vm_ids))
        self.assertEqual(stored.HasField("expire_time"), expires is not None)
        if expires is not None:
            self.assertEqual((stored.expire_time.seconds, stored.expire_time.nanos),
                             (int(expires.timestamp()), 0))
        return shown

    def test_a_ci_pipeline_token_is_stored_through_the_end_of_the_day_in_local_time(self):
        for name in ("ubuntu-dev", "ubuntu-test"):
            self.assertIn(name, self.ok("create", name, "--memory", "64M", "--disk", "1M"))
        ids = {vm.name: vm.id for vm in self.rpc("ListVms").vms}
        day = one_year_ahead().isoformat()
        stored = {}
        for zone in ("UTC", "Asia/Tokyo"):
            with self.subTest(zone=zone):
                out = self.ok("token", "create", "--label", "CI Pipeline",
                              "--vms", "ubuntu-dev,ubuntu-test", "--scope", "operator",
                              "--expires", day, env={"TZ": zone})
                expires = end_of_day(one_year_ahead(), zone)
                self.assertRegex(out, printed_utc(expires))
                self.assertRegex(out, WARNING)
                secret, token_id = SECRET.search(out)[0], TOKEN_ID.search(out)[0]
                shown = self.check_stored(token_id, OPERATOR, list(ids.values()), expires)
                self.assertEqual(shown["label"], "CI Pipeline")
                self.assertEqual(sorted(vm["name"] for vm in shown["vm_scope"]["vms"]),
                                 ["ubuntu-dev", "ubuntu-test"])
                stored[zone] = expires

                human = self.ok("token", "show", token_id)
                for text in ("CI Pipeline", token_id, "ubuntu-dev", "ubuntu-test"):
                    self.assertIn(text, human)
                self.assertRegex(human, "(?i)operator")
                self.assertNotIn(secret, human)
                me = self.ok("whoami", "--token", secret)  # scope, VMs, expiry
                for text in ("ubuntu-dev", "ubuntu-test"):
                    self.assertIn(text, me)
                self.assertRegex(me, "(?i)operator")
                local_day = expires.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d")
                self.assertRegex(me, f"{day}|{local_day}")
                self.assertEqual(self.label_of(secret), "CI Pipeline")
        self.assertEqual(stored["UTC"] - stored["Asia/Tokyo"], datetime.timedelta(hours=9))
        self.assertEqual(self.token_count(), 2)

    def test_an_admin_tool_token_has_all_vms_and_never_expires(self):
        out = self.ok("token", "create", "--label", "Admin Tool", "--scope", "admin")
        self.assertRegex(out, WARNING)
        secret, token_id = SECRET.search(out)[0], TOKEN_ID.search(out)[0]
        shown = self.check_stored(token_id, ADMIN, [], None)
        self.assertEqual(shown["label"], "Admin Tool")
        human = self.ok("token", "show", token_id)
        for text in ("Admin Tool", token_id, "All VMs", "never"):
            self.assertIn(text, human)

        me = self.json("whoami", "--token", secret)
        self.assertEqual((me["token_id"], me["label"], me["access_level"], me["is_master"]),
                         (token_id, "Admin Tool", "ACCESS_LEVEL_ADMIN", False))
        self.assertTrue(me["vm_scope"]["all_vms"])
        caps = me["capabilities"]
        self.assertTrue(caps["create_vms"] and caps["edit_vms"] and caps["delete_vms"])
        self.assertFalse(caps["manage_tokens"] or caps["templates"])
        self.assertIn("All VMs", self.ok("whoami", "--token", secret))

    def test_quiet_prints_only_the_secret_and_it_authenticates(self):
        done = self.vpvm("token", "create", "--label", "ci-quiet", "--quiet")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"\Avpvm_[A-Za-z0-9]{38}\n\Z")
        me = self.json("whoami", "--token", done.stdout.strip())
        self.assertEqual((me["label"], me["access_level"]), ("ci-quiet", "ACCESS_LEVEL_OPERATOR"))
        self.assertTrue(me["capabilities"]["control_vms"])
        self.assertFalse(me["capabilities"]["edit_vms"])
        created = self.json("token", "create", "--label", "as-json")
        self.assertRegex(created["secret"], SECRET)
        self.assertEqual(created["token"]["label"], "as-json")
        self.assertEqual(self.token_count(), 2)

    def test_refused_input_creates_nothing(self):
        self.make_vm("ubuntu-dev")
        for extra, text in [
            (["--vms", "ubuntu-dev,nosuch"], "nosuch"),
            (["--expires", "2020-01-01"], "past"),
            (["--expires", "2020-01-01T00:00:00Z"], "past"),
            (["--extended", "templates"], "extended"),
            (["--scope", "admin", "--vms", "ubuntu-dev", "--extended", "templates"], "extended"),
            (["--vms", ""], None),
            (["--expires", "soon"], None),
            (["--scope", "root"], None),
            (["--extended", "everything", "--scope", "admin"], None),
        ]:
            with self.subTest(extra=extra):
                err = self.fails(2, "token", "create", "--label", "x", *extra)
                if text:
                    self.assertIn(text, err.lower())
        self.fails(2, "token", "create", "--scope", "admin")  # no label
        self.assertEqual(self.token_count(), 0)


class TokenManagementTest(CliTestCase):
    def test_token_list_with_status_search_missing_vms_and_last_use(self):
        dev, test = self.make_vm("ubuntu-dev"), self.make_vm("ubuntu-test")
        ci = self.make_token("CI Pipeline", OPERATOR, ["ubuntu-dev", "ubuntu-test"], 30 * 86400)
        admin = self.make_token("Admin Tool", ADMIN)
        backup = self.make_token("Backup", OPERATOR, ["ubuntu-test"])
        self.rpc("DisableToken", token_id=backup.token.token_id)
        tls = self.daemon.tls_channel()
        self.addCleanup(tls.close)
        self.rpc("InspectSelf", Client(API, tls, admin.secret))  # a use from 127.0.0.1
        self.ok("delete", "ubuntu-dev")

        out = self.ok("token", "list")
        self.assertRegex(out, "(?i)token id")
        row = line_of(out, "CI Pipeline")
        self.assertIn(ci.token.token_id, row)
        self.assertIn("⚠", row)  # ubuntu-dev is gone
        self.assertRegex(row, r"in \d+ (days?|weeks?|months?)")
        self.assertRegex(row, r"\bnever\b")  # last use
        self.assertRegex(row, "(?i)operator")
        row = line_of(out, "Admin Tool")
        self.assertIn("All VMs", row)
        self.assertRegex(row, r"(?i)admin.*active.*\bnever\b")  # scope, status, expiry
        self.assertRegex(row, r"(ago|now) from 127\.0\.0\.1")
        row = line_of(out, "Backup")
        self.assertRegex(row, "(?i)disabled")
        self.assertNotIn("⚠", row)

        def labels(*args):
            text = self.ok("token", "list", *args)
            return [name for name in ("CI Pipeline", "Admin Tool", "Backup") if name in text]

        self.assertEqual(labels("--status", "disabled"), ["Backup"])
        self.assertEqual(labels("--status", "active"), ["CI Pipeline", "Admin Tool"])
        self.assertEqual(labels("--status", "expired"), [])
        self.assertEqual(labels("--status", "all"), ["CI Pipeline", "Admin Tool", "Backup"])
        self.assertEqual(labels("--search", "admin"), ["Admin Tool"])
        self.assertEqual(labels("--search", "ubuntu-test"), ["CI Pipeline", "Backup"])
        self.fails(2, "token", "list", "--status", "sleeping")

        listed = self.json("token", "list")
        self.assertEqual(listed["total_size"], 3)
        by_label = {token["label"]: token for token in listed["tokens"]}
        self.assertEqual(by_label["CI Pipeline"]["missing_vm_ids"], [dev.id])
        # The token sees it too, even once a new VM has taken the name.
        self.make_vm("ubuntu-dev")
        self.assertEqual(self.json("whoami", "--token", ci.secret)["missing_vm_ids"], [dev.id])
        vms_line = line_of(self.ok("whoami", "--token", ci.secret), "VMs:")
        self.assertIn("⚠", vms_line)
        self.assertIn(dev.id, vms_line)
        self.assertEqual(by_label["Admin Tool"]["last_used_address"], "127.0.0.1")
        self.assertEqual(by_label["Backup"]["status"], "TOKEN_STATUS_DISABLED")
        self.assertEqual(by_label["Backup"]["vm_scope"]["vms"][0]["id"], test.id)
        self.assertEqual(self.json("token", "list", "--status", "disabled")["total_size"], 1)

        # On a terminal the status marks have colours, unless NO_COLOR is set.
        code, shown = self.on_terminal("", "token", "list", env=dict(NO_COLOR=None))
        self.assertEqual(code, 0, shown)
        self.assertIn("\x1b[", line_of(shown, "Backup"))
        code, shown = self.on_terminal("", "token", "list")
        self.assertEqual(code, 0, shown)
        self.assertNotIn("\x1b[", shown)

    def test_expired_tokens_stay_listed_and_near_expiries_are_shown_in_minutes(self):
        soon = self.make_token("Soon", OPERATOR, expires_in=20 * 60)
        stale = self.make_token("Stale", OPERATOR, expires_in=3)
        deadline = time.monotonic() + 30  # waits for the clock, not for readiness
        while self.rpc("GetToken", token_id=stale.token.token_id).status != 3:  # expired
            self.assertLess(time.monotonic(), deadline, "the token never expired")
            time.sleep(0.1)
        self.assertIn("expired", self.fails(3, "whoami", "--token", stale.secret).lower())
        out = self.ok("token", "list")
        self.assertRegex(line_of(out, "Stale"), r"(?i)\bexpired\s+expired\b")  # status, expiry
        listed = self.json("token", "list", "--status", "expired")
        self.assertEqual([(t["token_id"], t["status"]) for t in listed["tokens"]],
                         [(stale.token.token_id, "TOKEN_STATUS_EXPIRED")])
        self.rpc("DisableToken", token_id=stale.token.token_id)  # disabled wins over expired
        self.assertRegex(line_of(self.ok("token", "list"), "Stale"), r"(?i)disabled\s+expired")
        self.assertIn("Stale", self.ok("token", "list", "--status", "disabled"))
        # 20 minutes ahead is shown in minutes, not as "in 1h".
        self.assertRegex(line_of(out, "Soon"), r"in (1[5-9]|20) ?(m|min|mins|minutes)\b")
        self.assertRegex(self.ok("token", "show", soon.token.token_id),
                         r"in (1[5-9]|20) ?(m|min|mins|minutes)\b")

    def test_rotate_needs_a_confirmation_and_refuses_the_old_secret(self):
        made = self.make_token("rotated")
        token_id = made.token.token_id
        self.assertIn("--yes", self.fails(2, "token", "rotate", token_id))
        self.assertEqual(self.label_of(made.secret), "rotated")  # unchanged

        out = self.ok("token", "rotate", token_id, "--yes")
        self.assertRegex(out, WARNING)
        new = SECRET.search(out)[0]
        self.assertNotEqual(new, made.secret)
        self.fails(3, "whoami", "--token", made.secret)
        self.assertEqual(self.label_of(new), "rotated")

        done = self.vpvm("token", "rotate", token_id, "--yes", "--quiet")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"\Avpvm_[A-Za-z0-9]{38}\n\Z")
        self.fails(3, "whoami", "--token", new)
        rotated = self.json("token", "rotate", token_id, "--yes")
        self.assertEqual(rotated["token"]["token_id"], token_id)
        self.assertEqual(self.label_of(rotated["secret"]), "rotated")
        self.fails(4, "token", "rotate", "tok_aaaaaaaaaaaa", "--yes")

    def test_rotating_the_master_token_rewrites_its_file(self):
        old = self.daemon.master_secret()
        done = self.vpvm("token", "rotate", "master", "--yes", "--quiet")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), self.daemon.master_secret())
        self.assertNotEqual(done.stdout.strip(), old)
        self.fails(3, "whoami", "--token", old)
        self.assertTrue(self.json("whoami")["is_master"])  # read from the new master.token

    def test_revoke_needs_a_confirmation_and_deletes(self):
        made = self.make_token("doomed")
        token_id = made.token.token_id
        self.assertIn("--yes", self.fails(2, "token", "revoke", token_id))
        self.rpc("GetToken", token_id=token_id)
        self.assertEqual(self.label_of(made.secret), "doomed")

        self.assertRegex(self.ok("token", "revoke", token_id, "--yes"), f"{token_id}|doomed")
        self.assertEqual(self.call("GetToken", token_id=token_id)[0], NOT_FOUND)
        self.fails(3, "whoami", "--token", made.secret)
        self.fails(4, "token", "revoke", token_id, "--yes")
        self.fails(4, "token", "show", token_id)

    def test_confirmations_on_a_terminal(self):
        kept, doomed = self.make_token("kept"), self.make_token("doomed")
        code, shown = self.on_terminal("no\n", "token", "revoke", kept.token.token_id)
        self.assertRegex(shown, f"{kept.token.token_id}|kept")  # the prompt names it
        self.rpc("GetToken", token_id=kept.token.token_id)
        code, shown = self.on_terminal("yes\n", "token", "revoke", doomed.token.token_id)
        self.assertEqual(code, 0, shown)
        self.assertEqual(self.call("GetToken", token_id=doomed.token.token_id)[0], NOT_FOUND)
        code, shown = self.on_terminal("yes\n", "token", "rotate", kept.token.token_id)
        self.assertEqual(code, 0, shown)
        self.fails(3, "whoami", "--token", kept.secret)
        self.assertEqual(self.label_of(SECRET.search(shown)[0]), "kept")

    def test_disable_enable_and_disable_2fa(self):
        made = self.make_token("paused")
        token_id = made.token.token_id
        self.assertRegex(self.ok("token", "disable", token_id), f"{token_id}|paused")
        self.assertIn("disabled", self.fails(3, "whoami", "--token", made.secret).lower())
        shown = self.json("token", "show", token_id)
        self.assertEqual((shown["status"], shown["disabled"]), ("TOKEN_STATUS_DISABLED", True))
        self.assertRegex(self.ok("token", "show", token_id), "(?i)disabled")

        enabled = self.json("token", "enable", token_id)
        self.assertEqual((enabled["token_id"], enabled["status"]),
                         (token_id, "TOKEN_STATUS_ACTIVE"))
        self.assertEqual(self.label_of(made.secret), "paused")
        self.assertEqual(self.rpc("GetToken", token_id=token_id).disabled, False)

        self.assertRegex(self.ok("token", "disable-2fa", token_id), f"{token_id}|paused")
        off = self.json("token", "disable-2fa", token_id)
        self.assertEqual((off["token_id"], off["two_factor_enabled"]), (token_id, False))
        self.assertEqual(self.label_of(made.secret), "paused")
        for command in ("disable", "enable", "disable-2fa", "show"):
            self.fails(4, "token", command, "tok_aaaaaaaaaaaa")

    def test_edit_changes_what_is_given(self):
        vm = self.make_vm("ubuntu-dev")
        token_id = self.make_token("old").token.token_id

        def shown():
            return self.json("token", "show", token_id)

        self.assertIn("new", self.ok("token", "edit", token_id, "--label", "new",
                                     "--vms", vm.id, "--scope", "admin"))  # by id
        now = shown()
        self.assertEqual((now["label"], now["access_level"]), ("new", "ACCESS_LEVEL_ADMIN"))
        self.assertEqual([v["id"] for v in now["vm_scope"]["vms"]], [vm.id])
        self.fails(2, "token", "edit", token_id, "--extended", "templates")  # listed VMs
        self.fails(2, "token", "edit", token_id, "--vms", "")
        self.fails(2, "token", "edit", token_id, "--expires", "2020-01-01")
        self.assertEqual(shown(), now)

        self.ok("token", "edit", token_id, "--all-vms", "--extended", "templates,networks")
        now = shown()
        self.assertTrue(now["vm_scope"]["all_vms"])
        self.assertEqual(sorted(now["extended_permissions"]),
                         ["EXTENDED_PERMISSION_NETWORKS", "EXTENDED_PERMISSION_TEMPLATES"])
        self.assertEqual(now["label"], "new")  # kept
        out = self.ok("token", "edit", token_id, "--expires", "30d")
        expires = instant(shown()["expire_time"])
        self.assertRegex(out, printed_utc(expires))
        wanted = datetime.datetime.now(UTC) + datetime.timedelta(days=30)
        self.assertLess(abs(expires - wanted), datetime.timedelta(minutes=5))
        moment = f"{one_year_ahead().year}-06-30T18:00:00Z"
        self.ok("token", "edit", token_id, "--expires", moment)
        self.assertEqual(instant(shown()["expire_time"]), instant(moment))
        self.ok("token", "edit", token_id, "--expires", "never")
        self.assertIsNone(shown().get("expire_time"))
        self.ok("token", "edit", token_id, "--extended", "none")
        self.assertEqual(shown()["extended_permissions"], [])
        edited = self.json("token", "edit", token_id, "--scope", "operator", "--label", "final")
        self.assertEqual((edited["label"], edited["access_level"]),
                         ("final", "ACCESS_LEVEL_OPERATOR"))
        self.fails(4, "token", "edit", "tok_aaaaaaaaaaaa", "--label", "x")


class AuthenticationTest(CliTestCase):
    def test_whoami_with_the_master_token(self):
        self.assertIn("master", self.ok("whoami").lower())
        me = self.json("whoami")
        self.assertEqual((me["token_id"], me["is_master"]), ("master", True))
        self.assertTrue(all(me["capabilities"][c] for c in ("manage_tokens", "create_vms")))

    def test_bad_or_missing_tokens_are_not_authenticated(self):
        made = self.make_token("gone")
        self.rpc("RevokeToken", token_id=made.token.token_id)
        for secret in ("vpvm_nonsense", "vpvm_" + "A" * 38, made.secret):
            with self.subTest(secret=secret):
                self.fails(3, "whoami", "--token", secret)
                self.fails(3, "list", "--token", secret)
        empty = tempfile.mkdtemp(prefix="vpvm-cli-empty-", dir="/tmp")
        self.addCleanup(shutil.rmtree, empty, ignore_errors=True)
        done = self.vpvm("list", "--socket", self.daemon.socket, "--state-dir", empty,
                         local=False)
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn("--token", done.stderr)


class PagingTest(CliTestCase):
    def test_lists_gather_every_page(self):
        for number in range(1001):  # the CLI asks for pages of at most 1000
            self.make_token(f"bulk-{number:04d}")
        listed = self.json("token", "list")
        self.assertEqual(listed["total_size"], 1001)
        self.assertEqual(listed.get("next_page_token", ""), "")
        self.assertEqual([t["label"] for t in listed["tokens"]],
                         [f"bulk-{number:04d}" for number in range(1001)])
        found = self.ok("token", "list", "--search", "bulk-10").splitlines()
        self.assertEqual(len(found), 2)  # a header and bulk-1000
        self.assertIn("bulk-1000", found[1])


if __name__ == "__main__":
    unittest.main()
