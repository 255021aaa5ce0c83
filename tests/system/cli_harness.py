"""What the system tests of the `vpvm` CLI share: the binary from $VPVM run with a controlled
environment (a temporary HOME and XDG_CONFIG_HOME per test class, no VPVM_* variables from the
caller, TZ=UTC unless a test says otherwise), a real vpvmd per test, and Debian's python3-grpcio
as an independent client to check what the daemon stored."""

import datetime
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import grpc

from vpvm_client import Api, Client, Daemon

VPVM = os.environ["VPVM"]
VPVMD = os.environ["VPVMD"]
API = Api(os.environ["VPVM_DESCRIPTOR_SET"])
OK, NOT_FOUND = grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND
MIB = 1 << 20
SECRET = re.compile(r"vpvm_[A-Za-z0-9]{38}")
TOKEN_ID = re.compile(r"tok_[a-z0-9]{12}")
VM_ID = re.compile(r"vm_[a-z0-9]{12}")
# Variables of the caller's that could change what the CLI does.
DROPPED = ("VPVM", "VPVMD", "NO_COLOR", "TZ", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
           "XDG_RUNTIME_DIR", "HOME")


def instant(text):
    """A proto3 JSON Timestamp ("2027-12-05T00:00:00Z") as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def bare(fingerprint):
    """A fingerprint without colons, upper case: how to compare it inside a message."""
    return fingerprint.replace(":", "").upper()


class CliTestCase(unittest.TestCase):
    """A fresh vpvmd for each test (with `daemon_args`; on 127.0.0.1 port 0 unless they name a
    --listen) and a home folder for the class, whose config folder is emptied before each
    test."""

    daemon_args = ["--auth-burst", "100000"]

    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="vpvm-cli-home-", dir="/tmp")
        cls.addClassCleanup(shutil.rmtree, cls.home, ignore_errors=True)
        cls.config_dir = os.path.join(cls.home, ".config", "vpvm")

    def setUp(self):
        shutil.rmtree(os.path.join(self.home, ".config"), ignore_errors=True)
        self.daemon = self.start_daemon(self.daemon_args)
        self.master = self.grpc_client(self.daemon)

    def start_daemon(self, args, state_dir=None):
        daemon = Daemon(VPVMD, args, state_dir=state_dir)
        self.addCleanup(shutil.rmtree, daemon.tmp, ignore_errors=True)
        daemon.start()
        self.addCleanup(daemon.stop)
        return daemon

    def grpc_client(self, daemon):
        channel = daemon.unix_channel()
        self.addCleanup(channel.close)  # before the daemon stops: cleanups run last-in first
        return Client(API, channel, daemon.master_secret())

    # Running the CLI.

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("VPVM_") and k not in DROPPED}
        env.update(HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                   XDG_STATE_HOME=os.path.join(self.home, ".local", "state"),
                   XDG_RUNTIME_DIR=os.path.join(self.home, "run"), TZ="UTC", LANG="C.UTF-8")
        env.update(extra)
        return env

    def vpvm(self, *args, env=None, local=True):
        """Runs `vpvm ARGS`, against this test's daemon's socket and state folder when `local`;
        `env` adds variables to the controlled environment."""
        argv = [VPVM, *args]
        if local:
            argv += ["--socket", self.daemon.socket, "--state-dir", self.daemon.state_dir]
        return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env=self.env(**(env or {})), timeout=120)

    def ok(self, *args, **kwargs):
        """stdout of a command that must succeed."""
        done = self.vpvm(*args, **kwargs)
        self.assertEqual(done.returncode, 0,
                         f"vpvm {' '.join(args)}\nstdout: {done.stdout}\nstderr: {done.stderr}")
        self.assertNotIn("\x1b[", done.stdout, "colour on output that is not a terminal")
        return done.stdout

    def json(self, *args, **kwargs):
        """The parsed `-o json` output of a command that must succeed."""
        return json.loads(self.ok(*args, "-o", "json", **kwargs))

    def fails(self, code, *args, **kwargs):
        """stderr of a command that must fail with exit `code` and say why on a `vpvm: ` line."""
        done = self.vpvm(*args, **kwargs)
        self.assertEqual(done.returncode, code,
                         f"vpvm {' '.join(args)}\nstdout: {done.stdout}\nstderr: {done.stderr}")
        self.assertRegex(done.stderr, r"(?m)^vpvm: \S", "no `vpvm: ` error line")
        return done.stderr

    def label_of(self, secret):
        """The label of the token `secret` authenticates as, by `vpvm whoami`."""
        return self.json("whoami", "--token", secret)["label"]

    # Checking with the independent client.

    def call(self, method, client=None, **fields):
        service = "vpvm.v1.TokenService." if "Token" in method else "vpvm.v1.VmService."
        if method in ("GetVersion", "InspectSelf"):
            service = "vpvm.v1.SystemService."
        request = API.message(API.method(service + method)[1].DESCRIPTOR.full_name, **fields)
        return (client or self.master).call(service + method, request)

    def rpc(self, method, client=None, **fields):
        code, response, details, _ = self.call(method, client, **fields)
        self.assertEqual(code, OK, f"{method}: {details}")
        return response

    def token_count(self):
        return self.rpc("ListTokens").total_size

    def make_vm(self, name):
        """A tiny VM made over gRPC (not started): 64 MiB and a 1 MiB disk."""
        request = API.message("vpvm.v1.CreateVmRequest", name=name, memory_bytes=64 * MIB)
        request.disks.add(size_bytes=MIB)
        code, vm, details, _ = self.master.call("vpvm.v1.VmService.CreateVm", request)
        self.assertEqual(code, OK, details)
        return vm

    def make_token(self, label="t", level=1, vms=(), expires_in=None):
        """A token made over gRPC: Operator (1) or Admin (2), on `vms` or All VMs, expiring
        `expires_in` seconds from now or never."""
        request = API.message("vpvm.v1.CreateTokenRequest", label=label, access_level=level)
        request.vm_scope.all_vms = not vms
        if expires_in:
            request.expire_time.seconds = int(time.time()) + expires_in
        for name in vms:
            request.vm_scope.vms.add(name=name)
        code, response, details, _ = self.master.call("vpvm.v1.TokenService.CreateToken",
                                                      request)
        self.assertEqual(code, OK, details)
        return response

    def on_terminal(self, answer, *args, local=True, env=None):
        """Runs `vpvm ARGS` on a pseudo-terminal (its controlling terminal, on all three
        streams), with `answer` typed ahead and NO_COLOR set unless `env` drops it (None);
        returns (exit code, what the terminal showed)."""
        argv = [VPVM, *args]
        if local:
            argv += ["--socket", self.daemon.socket, "--state-dir", self.daemon.state_dir]
        env = {key: value for key, value in self.env(**{"NO_COLOR": "1", "TERM": "xterm",
                                                         **(env or {})}).items()
               if value is not None}
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(VPVM, argv, env)
            finally:
                os._exit(127)
        os.write(fd, answer.encode())
        shown, deadline = b"", time.monotonic() + 60
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], deadline - time.monotonic())[0]:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        os.close(fd)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.fail(f"vpvm {' '.join(args)} still waits on its terminal: {shown!r}")
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), shown.decode(errors="replace")
