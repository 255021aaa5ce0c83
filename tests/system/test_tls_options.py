"""vpvmd's TLS choices from the outside: a certificate of the user's own, and plain TCP only
when asked for."""

import os
import subprocess
import tempfile
import unittest

import grpc

from vpvm_client import Api, Client, Daemon

VPVMD = os.environ["VPVMD"]
API = Api(os.environ["VPVM_DESCRIPTOR_SET"])


def openssl_fingerprint(cert):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


class OwnCertificateTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vpvm-tls-", dir="/tmp")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=vpvm-test", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", self.key, "-out", self.cert],
                       check=True, capture_output=True)

    def test_daemon_serves_the_users_certificate_and_makes_none(self):
        daemon = Daemon(VPVMD, ["--tls-cert", self.cert, "--tls-key", self.key]).start()
        self.addCleanup(daemon.stop)
        self.assertEqual(daemon.addresses["fingerprint"], openssl_fingerprint(self.cert))
        self.assertFalse(os.path.exists(os.path.join(daemon.state_dir, "tls")))
        with open(self.cert, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(daemon.addresses["grpc"], creds)
        code, response, details, _ = Client(API, channel, daemon.master_secret()).call(
            "vpvm.v1.SystemService.GetVersion")
        self.assertEqual(code, grpc.StatusCode.OK, details)
        printed = subprocess.run([VPVMD, "fingerprint", "--tls-cert", self.cert, "--tls-key",
                                  self.key], capture_output=True, text=True, check=True)
        self.assertEqual(printed.stdout.strip(), openssl_fingerprint(self.cert))

    def test_key_of_another_certificate_refuses_to_start(self):
        other_key = os.path.join(self.dir, "other.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", other_key], check=True)
        daemon = Daemon(VPVMD, ["--tls-cert", self.cert, "--tls-key", other_key])
        with self.assertRaises(RuntimeError) as refused:
            daemon.start()
        self.assertIn("does not belong", str(refused.exception))


class PlainTcpTest(unittest.TestCase):
    def test_plain_tcp_only_when_asked_and_said_so(self):
        daemon = Daemon(VPVMD, ["--tls", "off", "--log-level", "info"]).start()
        self.addCleanup(daemon.stop)
        self.assertFalse(daemon.addresses["tls"])
        channel = grpc.insecure_channel(daemon.addresses["grpc"])
        code, _, details, _ = Client(API, channel, daemon.master_secret()).call(
            "vpvm.v1.SystemService.GetVersion")
        self.assertEqual(code, grpc.StatusCode.OK, details)
        daemon.log.flush()
        with open(daemon.log.name) as f:
            log = f.read()
        # The warning names the addresses actually bound, not the requested port 0.
        self.assertIn(f"TLS is off: tokens cross {daemon.addresses['grpc']} and "
                      f"{daemon.addresses['http']} in the clear", log)

    def test_tls_is_the_default_and_plain_clients_are_turned_away(self):
        daemon = Daemon(VPVMD).start()
        self.addCleanup(daemon.stop)
        self.assertTrue(daemon.addresses["tls"])
        channel = grpc.insecure_channel(daemon.addresses["grpc"])
        code, _, _, _ = Client(API, channel, daemon.master_secret()).call(
            "vpvm.v1.SystemService.GetVersion", timeout=5)
        self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)


if __name__ == "__main__":
    unittest.main()
