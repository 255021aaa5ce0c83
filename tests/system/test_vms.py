"""VMs through the real vpvmd: Debian's python3-grpcio as a third-party client, real QEMU behind
the daemon. VMs are tiny (64 MiB, a 1 MiB disk, no NIC) and a graceful stop gives up after one
second; every test ends the QEMUs it started, by their pid files if need be."""

import glob
import os
import shutil
import signal
import time
import unittest

import grpc

from vpvm_client import Api, Client, Daemon

VPVMD = os.environ["VPVMD"]
API = Api(os.environ["VPVM_DESCRIPTOR_SET"])
OK, UNAUTH, DENIED, NOT_FOUND = (grpc.StatusCode.OK, grpc.StatusCode.UNAUTHENTICATED,
                                 grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND)
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT
MIB = 1 << 20
OPERATOR, ADMIN = 1, 2
STOPPED, RUNNING, PAUSED, SUSPENDED = 1, 3, 4, 5
VM = "vpvm.v1.VmService."


def mask(*paths):
    field_mask = API.message("google.protobuf.FieldMask")
    field_mask.paths.extend(paths)
    return field_mask


def process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def qemu_pid(state_dir, vm_id):
    try:
        with open(os.path.join(state_dir, "vms", vm_id, "qemu.pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def kill_qemus(state_dir):
    """Ends every QEMU whose pid file lies under `state_dir` (and whose command line names it,
    so that a reused pid is never hit)."""
    for pid_file in glob.glob(os.path.join(state_dir, "vms", "*", "qemu.pid")):
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if state_dir.encode() not in f.read():
                    continue
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            continue
        deadline = time.monotonic() + 10
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)


class VmTestCase(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon(VPVMD, ["--stop-timeout", "1", "--auth-burst", "100000"])
        self.addCleanup(shutil.rmtree, self.daemon.tmp, ignore_errors=True)
        self.daemon.start()
        self.addCleanup(kill_qemus, self.daemon.state_dir)
        self.addCleanup(self.daemon.stop)
        self.connect()

    def connect(self):
        """Clients of the daemon; closed before it stops, which open connections would delay."""
        self.unix = self.daemon.unix_channel()
        self.tls = self.daemon.tls_channel()
        self.addCleanup(self.unix.close)
        self.addCleanup(self.tls.close)
        self.master = Client(API, self.unix, self.daemon.master_secret())

    def call(self, method, token=None, **fields):
        request = API.message(API.method(VM + method)[1].DESCRIPTOR.full_name, **fields)
        client = self.master if token is None else Client(API, self.tls, token)
        return client.call(VM + method, request)

    def ok(self, method, token=None, **fields):
        code, response, details, _ = self.call(method, token, **fields)
        self.assertEqual(code, OK, f"{method}: {details}")
        return response

    def create_vm(self, name, disk=True):
        request = API.message("vpvm.v1.CreateVmRequest", name=name, memory_bytes=64 * MIB)
        if disk:
            request.disks.add(size_bytes=MIB)
        code, vm, details, _ = self.master.call(VM + "CreateVm", request)
        self.assertEqual(code, OK, details)
        return vm

    def token(self, level, vms=(), all_vms=False):
        request = API.message("vpvm.v1.CreateTokenRequest", label="t", access_level=level)
        request.vm_scope.all_vms = all_vms
        for name in vms:
            request.vm_scope.vms.add(name=name)
        code, response, details, _ = self.master.call("vpvm.v1.TokenService.CreateToken", request)
        self.assertEqual(code, OK, details)
        return response

    def listed(self, token=None, **fields):
        return [vm.name for vm in self.ok("ListVms", token, **fields).vms]


class VmLifecycleTest(VmTestCase):
    def test_every_power_operation_reports_the_state_qemu_reports(self):
        vm = self.create_vm("web")
        self.assertRegex(vm.id, r"^vm_[a-z0-9]{12}$")
        self.assertEqual(vm.status.state, STOPPED)
        self.assertEqual(self.ok("GetVm", vm=vm.id).name, "web")

        started = self.ok("StartVm", vm="web")
        self.assertEqual(started.status.state, RUNNING)
        self.assertIn(started.status.accelerator, ("kvm", "tcg"))
        pid = qemu_pid(self.daemon.state_dir, vm.id)
        self.assertIsNotNone(pid)
        code, _, details, _ = self.call("StartVm", vm="web")
        self.assertEqual(code, PRECONDITION)
        self.assertIn("running", details)

        self.assertEqual(self.ok("PauseVm", vm="web").status.state, PAUSED)
        self.assertEqual(self.ok("ResumeVm", vm="web").status.state, RUNNING)
        self.assertEqual(self.ok("RestartVm", vm="web").status.state, RUNNING)
        self.assertEqual(qemu_pid(self.daemon.state_dir, vm.id), pid)
        self.assertEqual(self.ok("SuspendVm", vm="web").status.state, SUSPENDED)
        self.assertIsNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.assertEqual(self.call("UpdateVm", vm="web", description="x",
                                   update_mask=mask("description"))[0],
                         PRECONDITION)
        self.assertEqual(self.ok("StartVm", vm="web").status.state, RUNNING)
        self.assertEqual(self.ok("StopVm", vm="web").status.state, STOPPED)  # after 1 s
        self.assertIsNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.assertEqual(self.call("StopVm", vm="web")[0], PRECONDITION)

    def test_edits_disks_networks_and_snapshots_over_grpc(self):
        vm = self.create_vm("web")
        updated = self.ok("UpdateVm", vm="web", name="www", cpus=2,
                          update_mask=mask("name", "cpus"))
        self.assertEqual((updated.id, updated.name, updated.config.cpus), (vm.id, "www", 2))
        self.assertEqual(self.call("UpdateVm", vm="www")[0], INVALID)  # empty mask

        disk = self.ok("AddDisk", vm="www", name="data", size_bytes=2 * MIB)
        self.assertEqual((disk.name, disk.size_bytes), ("data", 2 * MIB))
        self.assertEqual(self.ok("ResizeDisk", vm="www", disk="data", size_bytes=4 * MIB).size_bytes,
                         4 * MIB)
        code, _, details, _ = self.call("ResizeDisk", vm="www", disk="data", size_bytes=MIB)
        self.assertEqual(code, INVALID)
        self.assertIn("shrink", details)
        self.ok("RemoveDisk", vm="www", disk="data")

        attachment = self.ok("AttachNetwork", vm="www", network="default")
        self.assertEqual(attachment.name, "net0")
        self.assertRegex(attachment.mac_address, r"^52:54:00(:[0-9a-f]{2}){3}$")
        self.ok("DetachNetwork", vm="www", attachment="net0")

        self.ok("CreateSnapshot", vm="www", name="base", description="first")
        self.ok("CreateSnapshot", vm="www")
        listed = self.ok("ListSnapshots", vm="www", page_size=1)
        self.assertEqual([s.name for s in listed.snapshots], ["base"])
        rest = self.ok("ListSnapshots", vm="www", page_token=listed.next_page_token)
        self.assertEqual([s.name for s in rest.snapshots], ["snap0"])
        self.assertEqual(rest.next_page_token, "")

        self.ok("StartVm", vm="www")
        code, _, details, _ = self.call("RestoreSnapshot", vm="www", snapshot="base")
        self.assertEqual(code, PRECONDITION)
        self.assertIn("stop it", details)
        self.ok("StopVm", vm="www", force=True)
        self.assertEqual(self.ok("RestoreSnapshot", vm="www", snapshot="base").name, "www")
        self.ok("DeleteSnapshot", vm="www", snapshot="base")
        self.assertEqual([s.name for s in self.ok("ListSnapshots", vm="www").snapshots], ["snap0"])

    def test_bad_input_gets_clear_errors(self):
        self.create_vm("web")
        for fields, code, text in [
            (dict(name="web"), grpc.StatusCode.ALREADY_EXISTS, '"web"'),
            (dict(name="Web_1"), INVALID, "VM name"),
            (dict(name="x", cpus=999), INVALID, "CPU"),
            (dict(name="x", memory_bytes=1000), INVALID, "memory"),
        ]:
            got, _, details, _ = self.call("CreateVm", **fields)
            self.assertEqual(got, code, details)
            self.assertIn(text, details)
        self.assertEqual(self.listed(), ["web"])

    def test_deleting_a_running_vm_needs_force(self):
        vm = self.create_vm("web")
        self.ok("StartVm", vm="web")
        code, _, details, _ = self.call("DeleteVm", vm="web")
        self.assertEqual(code, PRECONDITION)
        self.assertIn("stop it first", details)
        self.assertIsNotNone(qemu_pid(self.daemon.state_dir, vm.id))
        self.ok("DeleteVm", vm="web", force=True)
        self.assertFalse(os.path.exists(os.path.join(self.daemon.state_dir, "vms", vm.id)))
        self.assertEqual(self.listed(), [])

    def test_a_stopped_daemon_leaves_vms_running(self):
        vm = self.create_vm("web", disk=False)
        self.ok("StartVm", vm="web")
        pid = qemu_pid(self.daemon.state_dir, vm.id)
        self.unix.close()
        self.tls.close()
        self.assertEqual(self.daemon.stop(), 0)
        self.assertTrue(process_alive(pid))
        self.daemon.start()
        self.connect()
        self.assertEqual(self.ok("GetVm", vm="web").status.state, RUNNING)
        self.assertEqual(qemu_pid(self.daemon.state_dir, vm.id), pid)
        self.assertEqual(self.ok("StopVm", vm="web", force=True).status.state, STOPPED)

    def test_a_killed_daemon_leaves_vms_running_and_its_successor_reattaches(self):
        vm = self.create_vm("web")
        self.ok("StartVm", vm="web")
        self.create_vm("db")
        self.ok("StartVm", vm="db")
        self.ok("PauseVm", vm="db")
        pid = qemu_pid(self.daemon.state_dir, vm.id)

        self.unix.close()
        self.tls.close()
        self.daemon.proc.send_signal(signal.SIGKILL)
        self.daemon.proc.wait(timeout=30)
        self.daemon.log.close()
        self.assertTrue(process_alive(pid))
        # The killed daemon could not remove its address file; the successor replaces it.
        self.daemon.start()
        self.connect()

        shown = self.ok("GetVm", vm="web")
        self.assertEqual(shown.status.state, RUNNING)
        self.assertEqual(qemu_pid(self.daemon.state_dir, vm.id), pid)
        self.assertEqual(self.ok("GetVm", vm="db").status.state, PAUSED)
        self.assertEqual(self.ok("StopVm", vm="web", force=True).status.state, STOPPED)
        self.assertEqual(self.ok("StopVm", vm="db", force=True).status.state, STOPPED)
        self.assertFalse(process_alive(pid))


class VmListTest(VmTestCase):
    def test_lists_are_filtered_to_the_scope_and_paginated(self):
        for name in ["alpha", "bravo", "charlie"]:
            self.create_vm(name, disk=False)
        operator = self.token(OPERATOR, vms=["alpha", "charlie"])
        response = self.ok("ListVms", operator.secret)
        self.assertEqual([vm.name for vm in response.vms], ["alpha", "charlie"])
        self.assertEqual(response.total_size, 2)
        self.assertEqual(self.listed(self.token(ADMIN, all_vms=True).secret),
                         ["alpha", "bravo", "charlie"])

        first = self.ok("ListVms", page_size=2)
        self.assertEqual([vm.name for vm in first.vms], ["alpha", "bravo"])
        self.assertEqual(first.total_size, 3)
        second = self.ok("ListVms", page_size=2, page_token=first.next_page_token)
        self.assertEqual([vm.name for vm in second.vms], ["charlie"])
        self.assertEqual(second.next_page_token, "")
        self.assertEqual(self.call("ListVms", page_token="garbage!")[0], INVALID)

        self.assertEqual(self.listed(filter="AV"), ["bravo"])
        self.assertEqual(self.listed(operator.secret, filter="CHAR"), ["charlie"])
        self.assertEqual(self.listed(state=RUNNING), [])
        self.assertEqual(self.listed(state=STOPPED), ["alpha", "bravo", "charlie"])


# What each kind of token may do to a VM it lists ("inside"), beside DESIGN.md §4.
READ_AND_POWER = {"GetVm", "ListSnapshots", "StartVm", "StopVm", "PauseVm", "ResumeVm",
                  "RestartVm", "SuspendVm"}
EDITS = {"UpdateVm", "AddDisk", "ResizeDisk", "RemoveDisk", "AttachNetwork", "DetachNetwork",
         "CreateSnapshot", "RestoreSnapshot", "DeleteSnapshot"}


class VmAccessMatrixTest(VmTestCase):
    def expected(self, method, who, target):
        if method == "ListVms":
            return "allowed"
        if method == "CreateVm":
            return "allowed" if who in ("admin on all", "master") else "denied"
        reaches = target == "inside" or who in ("admin on all", "master")
        if target == "missing" or not reaches:
            return "not found"
        if method in READ_AND_POWER:
            return "allowed"
        if method in EDITS:
            return "denied" if who == "operator on listed" else "allowed"
        assert method == "DeleteVm", method
        return "allowed" if who in ("admin on all", "master") else "denied"

    def test_every_vm_rpc_with_listed_and_unlisted_vms(self):
        self.create_vm("inside")
        self.create_vm("outside")
        tokens = {
            "operator on listed": self.token(OPERATOR, vms=["inside"]).secret,
            "admin on listed": self.token(ADMIN, vms=["inside"]).secret,
            "admin on all": self.token(ADMIN, all_vms=True).secret,
            "master": self.daemon.master_secret(),
        }
        channel = self.tls
        methods = [m.rsplit(".", 1)[1] for m in API.methods() if m.startswith(VM)]
        self.assertEqual(len(methods), 20)
        failures = []
        for method in methods:
            _, request_class, _ = API.method(VM + method)
            names_vm = "vm" in request_class.DESCRIPTOR.fields_by_name
            for target in (["inside", "outside", "missing"] if names_vm else [None]):
                for who, secret in tokens.items():
                    request = request_class()
                    if names_vm:
                        request.vm = target
                    if method == "CreateVm":
                        request.memory_bytes = 64 * MIB
                    if method == "DeleteVm" and target != "missing":
                        # Running, so that an allowed delete is refused for its state and the
                        # VM stays for the next caller.
                        self.call("StartVm", vm=target)
                    code, _, details, _ = Client(API, channel).call(VM + method, request,
                                                                  token=secret)
                    want = self.expected(method, who, target)
                    ok = {
                        "denied": code == DENIED,
                        "not found": code == NOT_FOUND and details == f'VM "{target}" not found',
                        "allowed": code not in (UNAUTH, DENIED, NOT_FOUND,
                                                grpc.StatusCode.UNIMPLEMENTED),
                    }[want]
                    if not ok:
                        failures.append(f"{method} on {target} as {who}: want {want}, "
                                        f"got {code.name} {details}")
        self.assertEqual(failures, [], "\n".join(failures))

    def test_out_of_scope_is_answered_exactly_like_a_vm_that_does_not_exist(self):
        self.create_vm("inside", disk=False)
        self.create_vm("other", disk=False)
        operator = self.token(OPERATOR, vms=["inside"]).secret
        hidden = {m: self.call(m, operator, vm="other")[0:3:2] for m in ["GetVm", "StartVm"]}
        self.ok("DeleteVm", vm="other")
        for method, answer in hidden.items():
            self.assertEqual(self.call(method, operator, vm="other")[0:3:2], answer)
            self.assertEqual(answer, (NOT_FOUND, 'VM "other" not found'))

    def test_operators_power_their_listed_vms(self):
        vm = self.create_vm("inside")
        operator = self.token(OPERATOR, vms=[vm.id]).secret
        self.assertEqual(self.ok("StartVm", operator, vm="inside").status.state, RUNNING)
        self.assertEqual(self.ok("PauseVm", operator, vm="inside").status.state, PAUSED)
        self.assertEqual(self.ok("StopVm", operator, vm=vm.id, force=True).status.state, STOPPED)
        code, _, details, _ = self.call("AddDisk", operator, vm="inside", size_bytes=MIB)
        self.assertEqual(code, DENIED)
        self.assertIn("Admin", details)


class VmIdentityTest(VmTestCase):
    def get_token(self, token_id):
        code, token, details, _ = self.master.call(
            "vpvm.v1.TokenService.GetToken",
            API.message("vpvm.v1.GetTokenRequest", token_id=token_id))
        self.assertEqual(code, OK, details)
        return token

    def test_a_deleted_vm_stays_in_scope_as_missing_and_its_name_grants_nothing(self):
        old = self.create_vm("web", disk=False)
        operator = self.token(OPERATOR, vms=["web"])
        self.assertEqual(self.listed(operator.secret), ["web"])
        self.ok("DeleteVm", vm="web")

        view = self.get_token(operator.token.token_id)
        self.assertEqual([(v.id, v.name) for v in view.vm_scope.vms], [(old.id, "web")])
        self.assertEqual(list(view.missing_vm_ids), [old.id])

        new = self.create_vm("web", disk=False)
        self.assertNotEqual(new.id, old.id)
        self.assertEqual(self.listed(operator.secret), [])
        code, _, details, _ = self.call("GetVm", operator.secret, vm="web")
        self.assertEqual((code, details), (NOT_FOUND, 'VM "web" not found'))
        self.assertEqual(self.call("StartVm", operator.secret, vm=new.id)[0], NOT_FOUND)
        self.assertEqual(list(self.get_token(operator.token.token_id).missing_vm_ids), [old.id])

    def test_a_rename_is_recorded_in_the_tokens_that_list_the_vm(self):
        vm = self.create_vm("web", disk=False)
        operator = self.token(OPERATOR, vms=["web"])
        self.ok("UpdateVm", vm="web", name="www",
                update_mask=mask("name"))
        view = self.get_token(operator.token.token_id)
        self.assertEqual([(v.id, v.name) for v in view.vm_scope.vms], [(vm.id, "www")])
        self.assertEqual(self.ok("GetVm", operator.secret, vm="www").id, vm.id)
        self.assertEqual(self.call("GetVm", operator.secret, vm="web")[0], NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
