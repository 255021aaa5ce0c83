"""The HTTP/JSON gateway of the real vpvmd, from the outside with `curl` over real TLS (the
daemon's own certificate, verified by curl against it as CA, reached as localhost): every answer
of DESIGN.md §4 on real routes, requests the gateway refuses before any handler sees them, the
X-Forwarded-For rule, slow clients, a port in use, and the access matrix of the gRPC test for a
representative set of routes."""

import json
import os
import socket
import ssl
import subprocess
import time
import unittest

from test_daemon import ADMIN, API, OPERATOR, TEMPLATES, create
from vpvm_client import Client, Daemon

VPVMD = os.environ["VPVMD"]
MIB = 1 << 20


class Http:
    """curl against one daemon's gateway."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.port = int(daemon.addresses["http"].rsplit(":", 1)[1])
        self.cacert = os.path.join(daemon.state_dir, "tls", "cert.pem")

    def __call__(self, method, path, token=None, body=None, headers=(), raw_body=None):
        """Returns (HTTP status, parsed JSON body or None, response headers as a lower-case
        dict)."""
        args = ["curl", "-sS", "--cacert", self.cacert, "--resolve",
                f"localhost:{self.port}:127.0.0.1", "-X", method, "-D", "-",
                f"https://localhost:{self.port}{path}"]
        if token is not None:
            args += ["-H", f"X-Auth-Token: {token}"]
        for header in headers:
            args += ["-H", header]
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        if data is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        done = subprocess.run(args, input=data.encode() if isinstance(data, str) else data,
                              capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr.decode()
        head, _, payload = done.stdout.decode().partition("\r\n\r\n")
        lines = head.split("\r\n")
        status = int(lines[0].split()[1])
        response_headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        return status, json.loads(payload) if payload.strip() else None, response_headers


def make_vm(master, name):
    request = API.message("vpvm.v1.CreateVmRequest", name=name, memory_bytes=64 * MIB)
    request.disks.add().size_bytes = MIB
    code, vm, details, _ = master.call("vpvm.v1.VmService.CreateVm", request)
    assert code.name == "OK", details
    return vm


def listed_token(master, label, level, vm_ids):
    request = API.message("vpvm.v1.CreateTokenRequest", label=label, access_level=level)
    for vm_id in vm_ids:
        request.vm_scope.vms.add().id = vm_id
    code, response, details, _ = master.call("vpvm.v1.TokenService.CreateToken", request)
    assert code.name == "OK", details
    return response


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(VPVMD, ["--auth-burst", "100000"]).start()
        cls.master_secret = cls.daemon.master_secret()
        cls.master = Client(API, cls.daemon.unix_channel(), cls.master_secret)
        cls.http = Http(cls.daemon)
        cls.web = make_vm(cls.master, "web")
        cls.db = make_vm(cls.master, "db")
        cls.operator = listed_token(cls.master, "op on web", OPERATOR, [cls.web.id]).secret
        cls.admin_listed = listed_token(cls.master, "admin on web", ADMIN, [cls.web.id]).secret
        cls.admin = create(cls.master, "admin", ADMIN).secret
        cls.admin_templates = create(cls.master, "t", ADMIN, extended=[TEMPLATES]).secret
        disabled = create(cls.master, "disabled", ADMIN)
        cls.master.call("vpvm.v1.TokenService.DisableToken",
                        API.message("vpvm.v1.DisableTokenRequest",
                                    token_id=disabled.token.token_id))
        cls.disabled = disabled.secret
        expiry = int(time.time()) + 2
        cls.expired = create(cls.master, "expiring", ADMIN, expire_seconds=expiry).secret
        while time.time() < expiry + 0.2:  # the instant must pass; nothing else changes it
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def assertError(self, answer, status, code_name, text=None):
        got_status, body, _ = answer
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error"]["code"], status)
        self.assertEqual(body["error"]["status"], code_name)
        if text is not None:
            self.assertIn(text, body["error"]["message"])

    def test_a_read_answers_the_proto3_json_of_the_vm(self):
        status, body, headers = self.http("GET", "/v1/vms/web", self.master_secret)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(body["id"], self.web.id)
        self.assertEqual(body["config"]["memoryBytes"], str(64 * MIB))
        self.assertEqual(body["status"]["state"], "VM_STATE_STOPPED")
        # By id as well as by name.
        self.assertEqual(self.http("GET", f"/v1/vms/{self.web.id}", self.master_secret)[1], body)

    def test_bearer_authorization_works_like_the_token_header(self):
        status, body, _ = self.http("GET", "/v1/self",
                                    headers=[f"Authorization: Bearer {self.admin}"])
        self.assertEqual(status, 200, body)
        self.assertEqual(body["label"], "admin")

    def test_every_unauthenticated_case_is_401_and_says_why_only_after_the_secret(self):
        for token, reason in [(None, "no token"), ("vpvm_nonsense", None),
                              ("vpvm_" + "A" * 38, None), (self.disabled, "disabled"),
                              (self.expired, "expired")]:
            with self.subTest(token=token):
                self.assertError(self.http("GET", "/v1/vms/web", token), 401, "UNAUTHENTICATED",
                                 reason)

    def test_out_of_scope_is_byte_for_byte_the_answer_for_no_such_vm(self):
        out_of_scope = self.http("GET", "/v1/vms/db", self.operator)
        self.assertError(out_of_scope, 404, "NOT_FOUND")
        self.assertEqual(self.http("GET", "/v1/vms/db", self.master_secret)[0], 200)  # it exists
        nowhere = self.http("GET", "/v1/vms/no-such-vm", self.operator)
        # The same words, with the name the caller used, for a VM that exists and one that not.
        self.assertEqual(out_of_scope[1]["error"]["message"].replace('"db"', '"X"'),
                         nowhere[1]["error"]["message"].replace('"no-such-vm"', '"X"'))
        admin_missing = self.http("GET", "/v1/vms/db", self.admin_listed)
        self.assertEqual(admin_missing[1], out_of_scope[1])

    def test_too_low_a_level_is_403_naming_what_is_needed(self):
        self.assertError(self.http("PATCH", "/v1/vms/web", self.operator,
                                   {"description": "x", "updateMask": "description"}),
                         403, "PERMISSION_DENIED", "Admin")
        self.assertError(self.http("GET", "/v1/tokens", self.admin), 403, "PERMISSION_DENIED",
                         "master")
        self.assertError(self.http("GET", "/v1/templates", self.admin), 403, "PERMISSION_DENIED",
                         "emplates")
        self.assertEqual(self.http("GET", "/v1/templates", self.admin_templates)[0], 200)

    def test_access_matrix_on_representative_routes(self):
        cases = [
            # (method, path, body), then the expected status per token
            (("GET", "/v1/vms", None),
             {"operator": 200, "admin_listed": 200, "admin": 200, "master": 200}),
            (("GET", "/v1/vms/web/snapshots", None),
             {"operator": 200, "admin_listed": 200, "admin": 200, "master": 200}),
            (("POST", "/v1/vms/web:restart", {}),
             {"operator": 400, "admin_listed": 400, "admin": 400, "master": 400}),
            (("POST", "/v1/vms/web/disks", {"sizeBytes": str(MIB)}),
             {"operator": 403, "admin_listed": None, "admin": None, "master": None}),
            (("POST", "/v1/vms", {"name": "made-by"}),
             {"operator": 403, "admin_listed": 403, "admin": 200, "master": 200}),
            (("GET", "/v1/tokens", None),
             {"operator": 403, "admin_listed": 403, "admin": 403, "master": 200}),
            (("GET", "/v1/images", None),
             {"operator": 403, "admin_listed": 403, "admin": 403, "master": 200}),
        ]
        tokens = {"operator": self.operator, "admin_listed": self.admin_listed,
                  "admin": self.admin, "master": self.master_secret}
        for (method, path, body), expected in cases:
            for who, status in expected.items():
                with self.subTest(path=path, who=who):
                    got, answer, _ = self.http(method, path, tokens[who], body)
                    if status is None:  # allowed: any answer but a refusal of access
                        self.assertNotIn(got, (401, 403, 404), answer)
                    else:
                        self.assertEqual(got, status, answer)
                    if path == "/v1/vms" and method == "POST" and got == 200:
                        self.master.call("vpvm.v1.VmService.DeleteVm",
                                         API.message("vpvm.v1.DeleteVmRequest", vm="made-by"))
        # Lists are filtered to the scope, never refused.
        names = [vm["name"] for vm in self.http("GET", "/v1/vms", self.operator)[1]["vms"]]
        self.assertEqual(names, ["web"])

    def test_query_parameters_fill_the_request_by_either_name(self):
        status, body, _ = self.http("GET", "/v1/tokens?status=TOKEN_STATUS_DISABLED&page_size=1",
                                    self.master_secret)
        self.assertEqual(status, 200, body)
        self.assertEqual([t["label"] for t in body["tokens"]], ["disabled"])
        status, body, _ = self.http("GET", "/v1/tokens?search=op%20on&pageSize=5",
                                    self.master_secret)
        self.assertEqual([t["label"] for t in body["tokens"]], ["op on web"])
        self.assertError(self.http("GET", "/v1/tokens?colour=red", self.master_secret), 400,
                         "INVALID_ARGUMENT", "colour")
        self.assertError(self.http("GET", "/v1/tokens?pageSize=many", self.master_secret), 400,
                         "INVALID_ARGUMENT", "pageSize")

    def test_bad_bodies_are_400_and_change_nothing(self):
        before = self.http("GET", "/v1/tokens", self.master_secret)[1]["totalSize"]
        bad = [
            ('{"label": "x",', "not valid JSON"),
            ('{"label": "x", "colour": "red"}', "colour"),
            ('{"label": "x", "label": "y"}', "twice"),
            ('{"label": true}', "label"),
            ('{"label": "x", "accessLevel": 7}', "accessLevel"),
            ('{"label": "x", "accessLevel": "ACCESS_LEVEL_ROOT"}', "accessLevel"),
            ('{"label": "x", "vmScope": {"allVms": "true"}}', "allVms"),
            ('{"label": "x", "vmScope": {"allVms": 1}}', "allVms"),
            ('["label"]', "object"),
            ('{"label": "x", "expireTime": 12}', "expireTime"),
        ]
        for raw, text in bad:
            with self.subTest(body=raw):
                self.assertError(self.http("POST", "/v1/tokens", self.master_secret,
                                           raw_body=raw), 400, "INVALID_ARGUMENT", text)
        self.assertEqual(self.http("GET", "/v1/tokens", self.master_secret)[1]["totalSize"],
                         before)

    def test_a_path_field_the_body_contradicts_is_refused(self):
        self.assertError(self.http("POST", "/v1/vms/web:stop", self.master_secret,
                                   {"vm": "db"}), 400, "INVALID_ARGUMENT", "differs")

    def test_unknown_routes_wrong_methods_and_large_bodies(self):
        self.assertError(self.http("GET", "/v1/nothing", self.master_secret), 404, "NOT_FOUND",
                         "/v1/nothing")
        status, body, headers = self.http("PUT", "/v1/vms", self.master_secret)
        self.assertEqual(status, 405, body)
        self.assertEqual(body["error"]["status"], "METHOD_NOT_ALLOWED")
        self.assertEqual(sorted(headers["allow"].split(", ")), ["GET", "POST"])
        big = '{"label": "' + "x" * (2 * MIB) + '"}'
        self.assertError(self.http("POST", "/v1/tokens", self.master_secret, raw_body=big), 413,
                         "PAYLOAD_TOO_LARGE")
        self.assertError(self.http("GET", "/v1/vms", self.master_secret, raw_body='{"a":1}'),
                         400, "INVALID_ARGUMENT", "takes no body")

    def test_a_changed_token_applies_to_the_very_next_request(self):
        token = create(self.master, "flip", ADMIN)
        self.assertEqual(self.http("GET", "/v1/vms/web", token.secret)[0], 200)
        self.assertEqual(self.http("POST", f"/v1/tokens/{token.token.token_id}:disable",
                                   self.master_secret, {})[0], 200)
        self.assertError(self.http("GET", "/v1/vms/web", token.secret), 401, "UNAUTHENTICATED")
        self.assertEqual(self.http("POST", f"/v1/tokens/{token.token.token_id}:enable",
                                   self.master_secret, {})[0], 200)
        self.assertEqual(self.http("GET", "/v1/vms/web", token.secret)[0], 200)
        self.assertEqual(self.http("DELETE", f"/v1/tokens/{token.token.token_id}",
                                   self.master_secret)[0], 200)
        self.assertError(self.http("GET", "/v1/vms/web", token.secret), 401, "UNAUTHENTICATED")


def last_used_address(daemon, token_id):
    """As the daemon wrote it: it records uses behind the request path, and at a stop."""
    daemon.stop()
    daemon.start()
    master = Client(API, daemon.unix_channel(), daemon.master_secret())
    code, token, details, _ = master.call("vpvm.v1.TokenService.GetToken",
                                          API.message("vpvm.v1.GetTokenRequest",
                                                      token_id=token_id))
    assert code.name == "OK", details
    return token.last_used_address


class ForwardedForTest(unittest.TestCase):
    """X-Forwarded-For counts only from a proxy the configuration trusts."""

    def start(self, *args):
        daemon = Daemon(VPVMD, ["--auth-burst", "2", "--auth-refill", "3600", *args]).start()
        self.addCleanup(daemon.stop)
        master = Client(API, daemon.unix_channel(), daemon.master_secret())
        return daemon, master, Http(daemon)

    def test_an_untrusted_client_cannot_set_its_own_address(self):
        daemon, master, http = self.start()
        token = create(master, "ci", ADMIN)
        status, _, _ = http("GET", "/v1/self", token.secret,
                            headers=["X-Forwarded-For: 203.0.113.7"])
        self.assertEqual(status, 200)
        self.assertEqual(last_used_address(daemon, token.token.token_id), "127.0.0.1")

    def test_a_trusted_proxy_forwards_the_client_address_for_last_use_and_throttling(self):
        daemon, master, http = self.start("--trusted-proxy", "127.0.0.1")
        created = create(master, "ci", ADMIN)
        token = created.secret
        self.assertEqual(http("GET", "/v1/self", token,
                              headers=["X-Forwarded-For: 198.51.100.1, 203.0.113.7"])[0], 200)
        # Guessing from one forwarded address is throttled there and nowhere else.
        bad = "vpvm_" + "B" * 38
        for _ in range(2):
            self.assertEqual(http("GET", "/v1/self", bad,
                                  headers=["X-Forwarded-For: 192.0.2.66"])[0], 401)
        status, body, headers = http("GET", "/v1/self", bad,
                                     headers=["X-Forwarded-For: 192.0.2.66"])
        self.assertEqual(status, 429, body)
        self.assertEqual(body["error"]["status"], "RESOURCE_EXHAUSTED")
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertEqual(http("GET", "/v1/self", token,
                              headers=["X-Forwarded-For: 203.0.113.7"])[0], 200)
        self.assertEqual(last_used_address(daemon, created.token.token_id), "203.0.113.7")


class ConnectionLimitsTest(unittest.TestCase):
    def test_a_client_that_trickles_its_request_is_closed_after_the_read_timeout(self):
        daemon = Daemon(VPVMD, ["--http-read-timeout", "1"]).start()
        self.addCleanup(daemon.stop)
        port = int(daemon.addresses["http"].rsplit(":", 1)[1])
        context = ssl.create_default_context(cafile=os.path.join(daemon.state_dir, "tls",
                                                                 "cert.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n")  # never finished
                started = time.monotonic()
                try:
                    data = tls.recv(1024)
                except (ConnectionResetError, ssl.SSLError):
                    data = b""
                self.assertEqual(data, b"")  # closed, not answered
                # Closed by the server's deadline, long before this socket's own 20 s.
                self.assertLess(time.monotonic() - started, 15)

    def test_a_second_daemon_on_the_same_http_port_refuses_and_writes_nothing(self):
        first = Daemon(VPVMD).start()
        self.addCleanup(first.stop)
        other = Daemon(VPVMD)
        done = subprocess.run([VPVMD, "--log-level", "warn", "--state-dir", other.state_dir,
                               "--socket", other.socket, "--listen", "127.0.0.1:0",
                               "--http-listen", first.addresses["http"]],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("--http-listen", done.stderr)
        self.assertIn("in use", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(other.state_dir, "vpvm.db")))


if __name__ == "__main__":
    unittest.main()
