"""The `vpvm` CLI's VM commands on real QEMU behind a real vpvmd: create (sized and Quick), list
with its filters, info, every power operation, edit, disks, network attachments, snapshots and
delete, in human and `-o json` form, checked against what the daemon reports over python3-grpcio;
what a listed-VM operator token may not see or do (exit 4, the same answer as for a VM that does
not exist, and 5); usage errors (2) that create nothing; `version`, `--help` with its examples and
`vpvm completion bash`. VMs are tiny (64 MiB, a 1 MiB disk), the daemon gives a graceful stop one
second, and every test ends the QEMUs it started by their pid files."""

import os
import subprocess
import unittest

from cli_harness import MIB, NOT_FOUND, VM_ID, VPVM, CliTestCase
from test_vms import kill_qemus, qemu_pid

TINY = ("--memory", "64M", "--disk", "1M")


def row_of(text, name):
    rows = [line for line in text.splitlines() if line.split()[:1] == [name]]
    assert len(rows) == 1, f"no single row for {name!r} in:\n{text}"
    return rows[0]


class VmCliTestCase(CliTestCase):
    daemon_args = ["--stop-timeout", "1", "--auth-burst", "100000"]

    def setUp(self):
        super().setUp()
        self.addCleanup(kill_qemus, self.daemon.state_dir)

    def state(self, vm):
        return self.rpc("GetVm", vm=vm).status.state


class VmCommandsTest(VmCliTestCase):
    def test_create_list_info_and_delete(self):
        out = self.ok("create", "web", *TINY, "--description", "front end")
        web = self.rpc("GetVm", vm="web")
        self.assertIn(web.id, out)
        self.assertEqual((web.config.memory_bytes, [d.size_bytes for d in web.config.disks]),
                         (64 * MIB, [MIB]))
        db = self.json("create", "db", "--cpus", "2", "--memory", "64M", "--disk", "1M",
                       "--disk", "2M")
        self.assertRegex(db["id"], VM_ID)
        self.assertEqual((db["name"], db["config"]["cpus"], int(db["config"]["memory_bytes"])),
                         ("db", 2, 64 * MIB))
        self.assertEqual([int(d["size_bytes"]) for d in db["config"]["disks"]], [MIB, 2 * MIB])
        self.assertEqual(db["status"]["state"], "VM_STATE_STOPPED")
        self.assertEqual(self.rpc("GetVm", vm="db").config.cpus, 2)

        listed = self.ok("list")
        row = row_of(listed, "web")
        self.assertIn(web.id, row)
        self.assertRegex(row, r"stopped\s+1\s+64 ?Mi?B?")
        self.assertRegex(row_of(listed, "db"), r"stopped\s+2\s+64 ?Mi?B?")
        everything = self.json("list")
        self.assertEqual((sorted(vm["name"] for vm in everything["vms"]),
                          everything["total_size"]), (["db", "web"], 2))
        self.assertEqual([vm["name"] for vm in self.json("list", "--filter", "WE")["vms"]],
                         ["web"])
        self.assertEqual(self.json("list", "--state", "running")["vms"], [])
        self.assertEqual(len(self.json("list", "--state", "stopped")["vms"]), 2)
        self.assertNotIn("web", self.ok("list", "--filter", "db"))

        info = self.ok("info", "web")
        for text in (web.id, "stopped", "front end", "disk0"):
            self.assertIn(text, info)
        self.assertRegex(info, r"64 ?Mi?B")
        shown = self.json("info", web.id)
        self.assertEqual((shown["name"], shown["config"]["description"]), ("web", "front end"))

        self.fails(1, "create", "web", *TINY)  # a duplicate name
        self.fails(2, "create", "Web_1", *TINY)
        self.assertIn("web", self.ok("delete", "web"))
        self.assertEqual(self.call("GetVm", vm="web")[0], NOT_FOUND)
        self.assertIn('"web"', self.fails(4, "delete", "web"))
        self.fails(4, "info", "web")
        self.assertEqual(self.json("delete", "db"), {})
        self.assertEqual(self.rpc("ListVms").total_size, 0)
        self.assertFalse(os.listdir(os.path.join(self.daemon.state_dir, "vms")))

    def test_sizes_are_binary_with_a_unit(self):
        made = self.json("create", "sizes", "--memory", "65536K", "--disk", "512K",
                         "--disk", "10GiB", "--disk", "2T")
        self.assertEqual(int(made["config"]["memory_bytes"]), 64 * MIB)
        self.assertEqual([int(d["size_bytes"]) for d in made["config"]["disks"]],
                         [MIB // 2, 10 << 30, 2 << 40])
        for size in ("1000", "0", "1X", "-1G"):
            with self.subTest(size=size):
                self.fails(2, "create", "bad", "--memory", "64M", "--disk", size)
        self.assertEqual([vm.name for vm in self.rpc("ListVms").vms], ["sizes"])

    def test_a_quick_vm_and_a_generated_name(self):
        quick = self.json("create")
        self.assertRegex(quick["id"], VM_ID)
        self.assertRegex(quick["name"], r"^[a-z][a-z0-9-]*$")
        config = quick["config"]
        self.assertEqual((config["cpus"], int(config["memory_bytes"])), (1, 1024 * MIB))
        self.assertEqual([int(d["size_bytes"]) for d in config["disks"]], [10 * 1024 * MIB])
        self.assertEqual(self.rpc("GetVm", vm=quick["id"]).name, quick["name"])
        self.ok("delete", quick["name"])

    def test_every_power_operation(self):
        vm = self.rpc("GetVm", vm=self.json("create", "web", *TINY)["id"])
        self.assertIn("running", self.ok("start", "web"))
        self.assertEqual(self.state("web"), 3)
        pid = qemu_pid(self.daemon.state_dir, vm.id)
        self.assertIsNotNone(pid)
        self.assertRegex(self.ok("info", "web"), r"running.*(kvm|tcg)")
        self.assertIn("running", self.fails(1, "start", "web"))
        for command, state, word in [("pause", 4, "paused"), ("resume", 3, "running"),
                                     ("restart", 3, "running")]:
            with self.subTest(command=command):
                self.assertIn(word, self.ok(command, "web"))
                self.assertEqual(self.state("web"), state)
        self.assertEqual(qemu_pid(self.daemon.state_dir, vm.id), pid)  # restart is a reset
        self.assertEqual(self.json("suspend", "web")["status"]["state"], "VM_STATE_SUSPENDED")
        self.assertIsNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.fails(1, "edit", "web", "--description", "x")  # nothing is edited while suspended
        self.assertEqual(self.json("start", "web")["status"]["state"], "VM_STATE_RUNNING")
        self.assertIn("stopped", self.ok("stop", "web", "--timeout", "1"))  # no OS to answer
        self.assertIsNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.fails(1, "stop", "web")
        self.ok("start", "web")
        stopped = self.json("stop", "web", "--force")
        self.assertEqual(stopped["status"]["state"], "VM_STATE_STOPPED")
        self.ok("start", vm.id)
        self.assertIn("stop", self.fails(1, "delete", "web"))
        self.assertIsNotNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.ok("delete", "web", "--force")
        self.assertEqual(self.call("GetVm", vm=vm.id)[0], NOT_FOUND)
        self.assertIsNone(qemu_pid(self.daemon.state_dir, vm.id))

    def test_edit_disks_networks_and_snapshots(self):
        self.ok("create", "web", *TINY)
        self.assertIn("www", self.ok("edit", "web", "--name", "www", "--description", "renamed"))
        edited = self.json("edit", "www", "--cpus", "2", "--memory", "128M")
        self.assertEqual((edited["config"]["cpus"], int(edited["config"]["memory_bytes"]),
                          edited["config"]["description"]), (2, 128 * MIB, "renamed"))
        self.assertEqual(self.rpc("GetVm", vm="www").config.cpus, 2)

        self.assertIn("data", self.ok("disk", "add", "www", "--size", "2M", "--name", "data"))
        resized = self.json("disk", "resize", "www", "data", "--size", "4M")
        self.assertEqual((resized["name"], int(resized["size_bytes"])), ("data", 4 * MIB))
        self.assertIn("shrink", self.fails(2, "disk", "resize", "www", "data", "--size", "1M"))
        added = self.json("disk", "add", "www", "--size", "1M")
        self.assertEqual(int(added["size_bytes"]), MIB)
        self.ok("disk", "remove", "www", "data")
        self.assertEqual([d.name for d in self.rpc("GetVm", vm="www").config.disks],
                         ["disk0", added["name"]])

        attached = self.json("network", "attach", "www", "default", "--mac", "52:54:00:12:34:56")
        self.assertEqual((attached["name"], attached["network"], attached["mac_address"]),
                         ("net0", "default", "52:54:00:12:34:56"))
        self.assertIn("net1", self.ok("network", "attach", "www", "default"))
        self.ok("network", "detach", "www", "net0")
        self.assertRegex(self.ok("info", "www"), r"net1\b.*default|default.*\bnet1\b")
        self.assertEqual([n.name for n in self.rpc("GetVm", vm="www").config.network_attachments],
                         ["net1"])

        self.assertIn("base", self.ok("snapshot", "create", "www", "base", "--description",
                                      "first"))
        self.assertEqual(self.json("snapshot", "create", "www", "second")["name"], "second")
        listed = self.ok("snapshot", "list", "www")
        self.assertRegex(row_of(listed, "base"), "first")
        self.assertEqual([s["name"] for s in self.json("snapshot", "list", "www")["snapshots"]],
                         ["base", "second"])
        self.ok("start", "www")
        self.assertIn("stop", self.fails(1, "snapshot", "restore", "www", "base"))
        self.fails(1, "edit", "www", "--cpus", "1")  # hardware changes only while stopped
        self.ok("stop", "www", "--force")
        self.assertEqual(self.json("snapshot", "restore", "www", "base")["name"], "www")
        self.ok("snapshot", "delete", "www", "base")
        self.fails(4, "snapshot", "delete", "www", "base")
        self.assertEqual([s["name"] for s in self.json("snapshot", "list", "www")["snapshots"]],
                         ["second"])


class ScopeAndUsageTest(VmCliTestCase):
    def test_out_of_scope_is_not_found_and_operators_may_not_edit(self):
        self.make_vm("inside")
        self.make_vm("other")
        operator = self.make_token("op", 1, ["inside"]).secret
        self.assertEqual([vm["name"] for vm in self.json("list", "--token", operator)["vms"]],
                         ["inside"])
        self.assertIn("inside", self.ok("info", "inside", "--token", operator))
        hidden = {command: self.fails(4, command, "other", "--token", operator)
                  for command in ("info", "start", "delete")}
        self.assertIn('"other"', hidden["info"])
        self.rpc("DeleteVm", vm="other")
        for command, message in hidden.items():
            self.assertEqual(self.fails(4, command, "other", "--token", operator), message)
        self.assertEqual(self.fails(4, "info", "nosuch", "--token", operator),
                         hidden["info"].replace("other", "nosuch"))

        err = self.fails(5, "edit", "inside", "--description", "changed", "--token", operator)
        self.assertIn("admin", err.lower())
        self.fails(5, "disk", "add", "inside", "--size", "1M", "--token", operator)
        self.fails(5, "token", "list", "--token", operator)
        self.fails(5, "create", "new", "--memory", "64M", "--disk", "1M", "--token", operator)
        self.assertEqual(self.rpc("GetVm", vm="inside").config.description, "")
        self.assertEqual(len(self.rpc("GetVm", vm="inside").config.disks), 1)
        self.assertEqual([vm.name for vm in self.rpc("ListVms").vms], ["inside"])

    def test_usage_errors(self):
        for argv in (["frobnicate"], ["list", "--frobnicate"], ["token", "show"],
                     ["create", "web", "--memory", "lots"], ["create", "web", "--cpus", "x"],
                     ["info"], ["token", "frobnicate"]):
            with self.subTest(argv=argv):
                self.fails(2, *argv)
        for argv in (["frobnicate"], ["token", "frobnicate"], ["list", "--frobnicate"]):
            with self.subTest(argv=argv):  # the error names what is wrong
                self.assertIn("frobnicate", self.fails(2, *argv))
        self.assertEqual(self.rpc("ListVms").total_size, 0)

    def test_errors_are_one_line_on_stderr(self):
        for code, argv in [(2, ["frobnicate"]), (3, ["whoami", "--token", "vpvm_nonsense"]),
                           (4, ["info", "nosuch"]), (2, ["token", "create", "--label", "x",
                                                         "--vms", ""])]:
            with self.subTest(argv=argv):
                done = self.vpvm(*argv)
                self.assertEqual(done.returncode, code)
                self.assertRegex(done.stderr, r"\Avpvm: [^\n]+\n\Z")
                self.assertEqual(done.stdout, "")

    def test_version_help_and_completion(self):
        daemon = self.rpc("GetVersion").daemon_version
        done = self.vpvm("version")
        self.assertEqual((done.returncode, done.stderr), (0, ""))  # no warning: they fit
        self.assertEqual(done.stdout.count(daemon), 2)  # the client and the daemon
        self.assertIn(daemon, self.json("version").values())

        for command in (["list"], ["create"], ["token", "create"], ["token", "rotate"],
                        ["stop"], ["disk", "add"]):
            with self.subTest(command=command):
                out = self.ok(*command, "--help", local=False)
                self.assertRegex(out, r"(?i)example")
                self.assertRegex(out, r"(?m)^\s+vpvm " + " ".join(command) + r"\b")

        script = self.ok("completion", "bash", local=False)
        check = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        # Sourced, it completes the commands: "vpvm to<TAB>" offers "token".
        completed = subprocess.run(
            ["bash", "-c", 'source /dev/stdin; spec=$(complete -p vpvm) || exit 1; '
             'fn=${spec#*-F }; fn=${fn%% *}; COMP_WORDS=(vpvm to); COMP_CWORD=1; '
             'COMP_LINE="vpvm to"; COMP_POINT=7; "$fn" vpvm to vpvm; '
             'printf "%s\\n" "${COMPREPLY[@]}"'],
            input=script, capture_output=True, text=True,
            env=self.env(PATH=os.path.dirname(VPVM) + ":" + os.environ["PATH"]))
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(completed.stdout.split(), ["token"])


if __name__ == "__main__":
    unittest.main()
