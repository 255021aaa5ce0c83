"""vpvmd from the outside: the installed binary, real SQLite, real TLS, and Debian's
python3-grpcio as a third-party client."""

import hashlib
import os
import shutil
import socket
import ssl
import stat
import subprocess
import unittest

import grpc

from vpvm_client import Api, Client, Daemon

VPVMD = os.environ["VPVMD"]
API = Api(os.environ["VPVM_DESCRIPTOR_SET"])
OK, UNAUTH, DENIED, NOT_FOUND = (grpc.StatusCode.OK, grpc.StatusCode.UNAUTHENTICATED,
                                 grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class StartupTest(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon(VPVMD).start()
        self.addCleanup(self.daemon.stop)

    def test_first_start_creates_private_state(self):
        state = self.daemon.state_dir
        self.assertEqual(mode(state), 0o700)
        for name in ["vpvm.db", "master.token", "tls/cert.pem", "tls/key.pem",
                     "vpvmd.addresses.json"]:
            self.assertEqual(mode(os.path.join(state, name)), 0o600, name)
        self.assertTrue(self.daemon.master_secret().startswith("vpvm_"))

    def test_a_state_folder_open_to_others_is_warned_about(self):
        daemon = Daemon(VPVMD, ["--log-level", "warn"])
        os.makedirs(daemon.state_dir, mode=0o755)
        os.chmod(daemon.state_dir, 0o755)
        daemon.start()
        self.addCleanup(daemon.stop)
        daemon.log.flush()
        with open(daemon.log.name) as f:
            self.assertIn(f"the state folder {daemon.state_dir} is open to other users (mode 755)",
                          f.read())
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(daemon.state_dir, "vpvm.db")).st_mode),
                         0o600)

    def test_fingerprint_command_matches_the_certificate_served(self):
        printed = subprocess.run([VPVMD, "fingerprint", "--state-dir", self.daemon.state_dir],
                                 capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(printed, self.daemon.addresses["fingerprint"])
        host, port = self.daemon.addresses["grpc"].rsplit(":", 1)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        with socket.create_connection((host, int(port))) as raw:
            with context.wrap_socket(raw) as tls:
                der = tls.getpeercert(binary_form=True)
        served = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        self.assertEqual(served, printed)

    def test_health_and_reflection_answer_generic_clients(self):
        channel = self.daemon.unix_channel()
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        self.assertEqual(check(b"", timeout=10), b"\x08\x01")  # status: SERVING
        reflect = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/"
                                        "ServerReflectionInfo")
        answer = b"".join(reflect(iter([b"\x3a\x00"]), timeout=10))  # list_services: ""
        for service in ["VmService", "TokenService", "SessionService", "SystemService"]:
            self.assertIn(f"vpvm.v1.{service}".encode(), answer)

    def test_bearer_authorization_works_like_x_auth_token(self):
        client = Client(API, self.daemon.tls_channel())
        code, response, _, _ = client.call(
            "vpvm.v1.SystemService.InspectSelf",
            metadata=[("authorization", "Bearer " + self.daemon.master_secret())])
        self.assertEqual(code, OK)
        self.assertTrue(response.is_master)


class RefusedStartTest(unittest.TestCase):
    def run_vpvmd(self, *args):
        return subprocess.run([VPVMD, "--log-level", "warn", "--http-listen", "127.0.0.1:0", *args],
                              capture_output=True, text=True, timeout=30)

    def snapshot(self, folder):
        out = {}
        for root, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    out[path] = f.read()
        return out

    def test_second_daemon_on_the_same_state_folder_refuses_and_changes_nothing(self):
        first = Daemon(VPVMD).start()
        self.addCleanup(first.stop)
        before = self.snapshot(first.state_dir)
        result = self.run_vpvmd("--state-dir", first.state_dir, "--socket",
                                first.socket + "2", "--listen", "127.0.0.1:0")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("another vpvmd", result.stderr)
        self.assertIn(first.state_dir, result.stderr)
        after = self.snapshot(first.state_dir)
        self.assertEqual(before.keys(), after.keys())

    def test_second_daemon_on_the_same_port_refuses_with_a_clear_message(self):
        first = Daemon(VPVMD).start()
        self.addCleanup(first.stop)
        other = Daemon(VPVMD)
        result = self.run_vpvmd("--state-dir", other.state_dir, "--socket", other.socket,
                                "--listen", first.addresses["grpc"])
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("cannot listen on " + first.addresses["grpc"], result.stderr)
        self.assertIn("in use", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(other.state_dir, "vpvm.db")))

    def test_corrupt_database_refuses_to_start_and_is_left_alone(self):
        other = Daemon(VPVMD)
        os.makedirs(other.state_dir)
        db = os.path.join(other.state_dir, "vpvm.db")
        with open(db, "wb") as f:
            f.write(b"this is not a database" * 400)
        result = self.run_vpvmd("--state-dir", other.state_dir, "--socket", other.socket,
                                "--listen", "127.0.0.1:0")
        self.assertEqual(result.returncode, 1)
        self.assertIn("vpvm.db", result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)  # one clear line
        with open(db, "rb") as f:
            self.assertEqual(f.read(), b"this is not a database" * 400)
        self.assertFalse(os.path.exists(os.path.join(other.state_dir, "master.token")))
        self.assertFalse(os.path.exists(os.path.join(other.state_dir,
                                                     "vpvmd.addresses.json")))

    def test_rotate_master_refuses_a_folder_without_a_store_and_creates_nothing(self):
        missing = os.path.join(Daemon(VPVMD).tmp, "no-such-state")
        result = subprocess.run([VPVMD, "rotate-master", "--state-dir", missing],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no token database at " + missing, result.stderr)
        self.assertFalse(os.path.exists(missing))

    def test_rotate_master_of_a_stopped_daemon_gives_a_secret_it_then_accepts(self):
        daemon = Daemon(VPVMD).start()
        old_secret = daemon.master_secret()
        self.assertEqual(daemon.stop(), 0)
        result = subprocess.run([VPVMD, "rotate-master", "--state-dir", daemon.state_dir],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        new_secret = daemon.master_secret()
        self.assertNotEqual(new_secret, old_secret)
        daemon.start()
        self.addCleanup(daemon.stop)
        code, _, _, _ = Client(API, daemon.unix_channel(), new_secret).call(
            "vpvm.v1.SystemService.InspectSelf")
        self.assertEqual(code, OK)
        code, _, _, _ = Client(API, daemon.unix_channel(), old_secret).call(
            "vpvm.v1.SystemService.InspectSelf")
        self.assertEqual(code.name, "UNAUTHENTICATED")

    def test_config_error_is_one_line_and_a_usage_exit(self):
        result = self.run_vpvmd("--listen", "nonsense")
        self.assertEqual(result.returncode, 2)
        self.assertIn("HOST:PORT", result.stderr)


def create(master, label, level, all_vms=True, extended=(), expire_seconds=None):
    request = API.message("vpvm.v1.CreateTokenRequest", label=label, access_level=level,
                          vm_scope=API.message("vpvm.v1.VmScope", all_vms=all_vms))
    request.extended_permissions.extend(extended)
    if expire_seconds is not None:
        request.expire_time.seconds = expire_seconds
    code, response, details, _ = master.call("vpvm.v1.TokenService.CreateToken", request)
    assert code == OK, details
    return response


OPERATOR, ADMIN = 1, 2
TEMPLATES, NETWORKS, IMAGES = 1, 2, 3
EXTENDED_OF = {"ListTemplates": TEMPLATES, "ListNetworks": NETWORKS, "ListImages": IMAGES}


class AccessMatrixTest(unittest.TestCase):
    """Every RPC with every kind of token, over TLS. The expectations restate DESIGN.md §4
    here, independently of the declarations in the proto."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(VPVMD, ["--auth-burst", "100000"]).start()
        master = Client(API, cls.daemon.unix_channel(), cls.daemon.master_secret())
        cls.master_client = master
        expired = create(master, "expired", ADMIN, expire_seconds=2_000_000_000)
        disabled = create(master, "disabled", ADMIN)
        code, _, details, _ = master.call(
            "vpvm.v1.TokenService.DisableToken",
            API.message("vpvm.v1.DisableTokenRequest", token_id=disabled.token.token_id))
        assert code == OK, details
        wrong = create(master, "rotated away", ADMIN)
        master.call("vpvm.v1.TokenService.RotateToken",
                    API.message("vpvm.v1.RotateTokenRequest", token_id=wrong.token.token_id))
        cls.tokens = {
            "none": None,
            "malformed": "vpvm_not-a-token",
            "wrong secret": wrong.secret,
            "disabled": disabled.secret,
            "operator": create(master, "op", OPERATOR).secret,
            "admin": create(master, "admin", ADMIN).secret,
            "admin+templates": create(master, "t", ADMIN, extended=[TEMPLATES]).secret,
            "admin+networks": create(master, "n", ADMIN, extended=[NETWORKS]).secret,
            "admin+images": create(master, "i", ADMIN, extended=[IMAGES]).secret,
            "master": cls.daemon.master_secret(),
        }
        # Expiry passing takes effect with no change to the token: make one expire now.
        soon = create(master, "expiring", ADMIN, expire_seconds=int(__import__("time").time()) + 2)
        cls.tokens["expired"] = soon.secret
        del expired
        __import__("time").sleep(2.5)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def expected(self, method, who):
        service, name = method.split(".")[-2:]
        if who in ("none", "malformed", "wrong secret", "disabled", "expired"):
            return "unauthenticated"
        if service == "TokenService":
            return "allowed" if who == "master" else "denied"
        if service == "HostService":
            flag = {TEMPLATES: "templates", NETWORKS: "networks", IMAGES: "images"}
            return "allowed" if who in ("master", "admin+" + flag[EXTENDED_OF[name]]) else "denied"
        if name == "CreateVm":
            return "denied" if who == "operator" else "allowed"
        if service == "VmService" and name != "ListVms":
            return "not found"  # no VM exists yet, so every VM named is not found
        return "allowed"

    def test_every_rpc_with_every_kind_of_token(self):
        channel = self.daemon.tls_channel()
        failures = []
        for method in API.methods():
            path, request_class, _ = API.method(method)
            request = request_class()
            if "vm" in request_class.DESCRIPTOR.fields_by_name:
                request.vm = "ubuntu-dev"
            for who, secret in self.tokens.items():
                if method.endswith("SignIn"):
                    request.secret = secret or ""  # public: the secret travels in the request
                if "token_id" in request_class.DESCRIPTOR.fields_by_name:
                    # A token of its own to show, change or revoke, so that only the gate can
                    # refuse the call.
                    request.token_id = create(self.master_client, "victim", OPERATOR).token.token_id
                code, response, details, _ = Client(API, channel).call(method, request,
                                                                      token=secret or "")
                if method.endswith("RotateMasterToken") and code == OK:
                    self.tokens["master"] = response.secret
                    self.master_client.token = response.secret
                want = self.expected(method, who)
                ok = {
                    "unauthenticated": code == UNAUTH,
                    "denied": code == DENIED,
                    "not found": code == NOT_FOUND,
                    "unimplemented": code == grpc.StatusCode.UNIMPLEMENTED,
                    "allowed": code not in (UNAUTH, DENIED, NOT_FOUND,
                                            grpc.StatusCode.RESOURCE_EXHAUSTED),
                }[want]
                if not ok:
                    failures.append(f"{method} as {who}: want {want}, got {code.name} {details}")
        self.assertEqual(failures, [], "\n".join(failures))

    def test_unauthenticated_says_why_only_after_the_secret_verified(self):
        channel = self.daemon.tls_channel()
        method = "vpvm.v1.SystemService.InspectSelf"
        _, _, details, _ = Client(API, channel).call(method, token=self.tokens["disabled"])
        self.assertIn("disabled", details)
        _, _, details, _ = Client(API, channel).call(method, token=self.tokens["expired"])
        self.assertIn("expired", details)
        _, _, details, _ = Client(API, channel).call(method, token=self.tokens["wrong secret"])
        self.assertNotIn("disabled", details)
        self.assertNotIn("expired", details)


class TokenLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon(VPVMD, ["--auth-burst", "3", "--auth-refill", "600"]).start()
        self.addCleanup(self.daemon.stop)
        self.master = Client(API, self.daemon.unix_channel(), self.daemon.master_secret())

    def inspect(self, secret):
        return Client(API, self.daemon.tls_channel()).call("vpvm.v1.SystemService.InspectSelf",
                                                          token=secret)

    def test_every_change_applies_to_the_very_next_call(self):
        token = create(self.master, "ci", OPERATOR)
        token_id = token.token.token_id
        self.assertEqual(self.inspect(token.secret)[0], OK)
        for rpc in ["DisableToken", "EnableToken"]:
            self.master.call(f"vpvm.v1.TokenService.{rpc}",
                             API.message(f"vpvm.v1.{rpc}Request", token_id=token_id))
            want = UNAUTH if rpc == "DisableToken" else OK
            self.assertEqual(self.inspect(token.secret)[0], want, rpc)
        code, rotated, _, _ = self.master.call(
            "vpvm.v1.TokenService.RotateToken",
            API.message("vpvm.v1.RotateTokenRequest", token_id=token_id))
        self.assertEqual(code, OK)
        self.assertEqual(self.inspect(token.secret)[0], UNAUTH)
        self.assertEqual(self.inspect(rotated.secret)[0], OK)
        self.master.call("vpvm.v1.TokenService.RevokeToken",
                         API.message("vpvm.v1.RevokeTokenRequest", token_id=token_id))
        self.assertEqual(self.inspect(rotated.secret)[0], UNAUTH)

    def test_bad_input_is_refused_and_stores_nothing(self):
        cases = [
            (API.message("vpvm.v1.CreateTokenRequest", label="x", access_level=OPERATOR,
                         vm_scope=API.message("vpvm.v1.VmScope")), "VM list is empty"),
            (API.message("vpvm.v1.CreateTokenRequest", label=" ", access_level=ADMIN,
                         vm_scope=API.message("vpvm.v1.VmScope", all_vms=True)), "label"),
            (API.message("vpvm.v1.CreateTokenRequest", label="x", access_level=OPERATOR,
                         vm_scope=API.message("vpvm.v1.VmScope", all_vms=True)),
             None),  # valid: keeps the count honest below
        ]
        bad_vm = API.message("vpvm.v1.CreateTokenRequest", label="x", access_level=OPERATOR)
        bad_vm.vm_scope.vms.add(name="ubuntu-dev")
        cases.insert(0, (bad_vm, "unknown VM"))
        past = API.message("vpvm.v1.CreateTokenRequest", label="x", access_level=ADMIN,
                           vm_scope=API.message("vpvm.v1.VmScope", all_vms=True))
        past.expire_time.seconds = 1_000_000_000
        cases.insert(0, (past, "in the past"))
        ext = API.message("vpvm.v1.CreateTokenRequest", label="x", access_level=OPERATOR,
                          vm_scope=API.message("vpvm.v1.VmScope", all_vms=True))
        ext.extended_permissions.append(TEMPLATES)
        cases.insert(0, (ext, "extended permissions"))
        for request, message in cases:
            code, _, details, _ = self.master.call("vpvm.v1.TokenService.CreateToken", request)
            if message is None:
                self.assertEqual(code, OK)
            else:
                self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
                self.assertIn(message, details)
        code, listed, _, _ = self.master.call("vpvm.v1.TokenService.ListTokens")
        self.assertEqual(listed.total_size, 1)

    def test_guessing_is_throttled_per_address_and_the_socket_is_not(self):
        tls = Client(API, self.daemon.tls_channel())
        wrong = "vpvm_" + "A" * 38
        for _ in range(3):
            self.assertEqual(tls.call("vpvm.v1.SystemService.InspectSelf", token=wrong)[0],
                             UNAUTH)
        code, _, details, trailers = tls.call("vpvm.v1.SystemService.InspectSelf", token=wrong)
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("retry in", details)
        self.assertGreater(int(trailers["retry-after"]), 0)
        # The local socket is guarded by file permissions and not throttled.
        self.assertEqual(self.master.call("vpvm.v1.SystemService.InspectSelf")[0], OK)

    def test_last_use_survives_a_clean_stop(self):
        token = create(self.master, "ci", OPERATOR)
        self.assertEqual(self.inspect(token.secret)[0], OK)
        self.assertEqual(self.daemon.stop(), 0)
        self.assertFalse(os.path.exists(self.daemon.socket))
        self.daemon.start()
        master = Client(API, self.daemon.unix_channel(), self.daemon.master_secret())
        code, shown, _, _ = master.call(
            "vpvm.v1.TokenService.GetToken",
            API.message("vpvm.v1.GetTokenRequest", token_id=token.token.token_id))
        self.assertEqual(code, OK)
        self.assertEqual(shown.last_used_address, "127.0.0.1")
        self.assertTrue(shown.HasField("last_used_time"))

    def test_master_rotation_rewrites_the_secret_file(self):
        old = self.daemon.master_secret()
        code, rotated, _, _ = self.master.call("vpvm.v1.TokenService.RotateMasterToken")
        self.assertEqual(code, OK)
        self.assertEqual(self.daemon.master_secret(), rotated.secret)
        self.assertEqual(self.inspect(old)[0], UNAUTH)
        self.assertEqual(self.inspect(rotated.secret)[0], OK)


if __name__ == "__main__":
    unittest.main()
