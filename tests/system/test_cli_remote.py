"""The `vpvm` CLI against a remote vpvmd over TLS on 127.0.0.2, an address outside the daemon's
certificate: only the pinned SHA-256 fingerprint counts. Pins first contact only with
`--fingerprint` or a confirmation on a terminal (else exit 7, naming the fingerprint), keeps pins
in known_servers, refuses a changed certificate (7) until the new fingerprint is given, and takes
its settings from flags, then VPVM_* variables, then $XDG_CONFIG_HOME/vpvm/vpvm.conf; each
precedence is shown with a wrong value in the lower layer that would fail on its own. Also plain
TCP with --insecure, an unreachable daemon (6) and throttled guessing (8)."""

import os
import shutil
import subprocess
import unittest

from cli_harness import VPVMD, CliTestCase, bare

BAD_SECRET = "vpvm_" + "A" * 38
CLOSED_PORT = "1"  # never bound by anyone here: a port that refuses connections


def fingerprint_of(state_dir):
    done = subprocess.run([VPVMD, "fingerprint", "--state-dir", state_dir], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def other_fingerprint(fingerprint):
    """A well-formed fingerprint that is not `fingerprint`."""
    return ("00" if not fingerprint.startswith("00") else "11") + fingerprint[2:]


class RemoteTestCase(CliTestCase):
    """A TLS daemon on 127.0.0.2, a VM "web" and an Admin token "remote" on All VMs."""

    daemon_args = ["--auth-burst", "100000", "--listen", "127.0.0.2:0"]

    def setUp(self):
        super().setUp()
        self.port = self.daemon.addresses["grpc"].rsplit(":", 1)[1]
        self.target = f"127.0.0.2:{self.port}"
        self.fingerprint = fingerprint_of(self.daemon.state_dir)
        self.assertEqual(self.fingerprint, self.daemon.addresses["fingerprint"])
        self.vm = self.make_vm("web")
        self.secret = self.make_token("remote", 2).secret
        self.token_file = os.path.join(self.daemon.tmp, "token")
        with open(self.token_file, "w") as f:
            f.write(self.secret + "\n")

    def remote(self, *extra):
        return ["--server", "127.0.0.2", "--port", self.port, *extra]

    def pins(self):
        try:
            with open(os.path.join(self.config_dir, "known_servers")) as f:
                lines = [line.split() for line in f if line.strip() and line[0] != "#"]
        except FileNotFoundError:
            return {}
        return {fields[0]: fields[1] for fields in lines}

    def write_config(self, path=None, **keys):
        path = path or os.path.join(self.config_dir, "vpvm.conf")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for key, value in keys.items():
                value = str(value).lower() if isinstance(value, bool) else f'"{value}"'
                f.write(f"{key.replace('_', '-')} = {value}\n")
        return path

    def label(self, *args, env=None):
        """The label of the token `vpvm whoami ARGS` presents over whatever ARGS name, or
        "master" for the master token."""
        me = self.json("whoami", *args, env=env, local=False)
        return "master" if me["is_master"] else me["label"]


class PinningTest(RemoteTestCase):
    def test_first_contact_needs_the_fingerprint_and_then_remembers_it(self):
        err = self.fails(7, "list", *self.remote("--token", self.secret), local=False)
        self.assertIn(bare(self.fingerprint), bare(err))
        self.assertEqual(self.pins(), {})

        out = self.ok("list", "--server", "127.0.0.2", "--port", self.port,
                      "--token", self.secret, "--fingerprint", self.fingerprint, local=False)
        self.assertIn(self.vm.id, out)
        self.assertIn("web", out)
        self.assertEqual(self.pins(), {self.target: self.fingerprint})

        listed = self.json("list", *self.remote("--token", self.secret), local=False)
        self.assertEqual([vm["id"] for vm in listed["vms"]], [self.vm.id])
        # Options before the command, and HOST:PORT in one.
        out = self.ok("--server", self.target, "--token", self.secret, "info", "web", local=False)
        self.assertIn(self.vm.id, out)
        self.assertEqual(self.label(*self.remote("--token", self.secret)), "remote")

    def test_fingerprints_in_any_case_without_colons_with_a_prefix(self):
        self.ok("list", *self.remote("--token", self.secret, "--fingerprint",
                                     "SHA256:" + bare(self.fingerprint).lower()), local=False)
        self.assertEqual(self.pins(), {self.target: self.fingerprint})
        wrong = other_fingerprint(self.fingerprint)
        err = self.fails(7, "list", *self.remote("--token", self.secret, "--fingerprint", wrong),
                         local=False)
        self.assertIn(bare(self.fingerprint), bare(err))
        self.assertEqual(self.pins(), {self.target: self.fingerprint})
        self.fails(2, "list", *self.remote("--token", self.secret, "--fingerprint", "AA:BB"),
                   local=False)

    def test_a_changed_certificate_is_refused_until_its_fingerprint_is_given(self):
        self.ok("list", *self.remote("--token", self.secret, "--fingerprint", self.fingerprint),
                local=False)
        self.master.channel.close()
        self.assertEqual(self.daemon.stop(), 0)
        self.fails(6, "list", *self.remote("--token", self.secret), local=False)

        shutil.rmtree(os.path.join(self.daemon.state_dir, "tls"))
        self.daemon = self.start_daemon(["--auth-burst", "100000", "--listen", self.target],
                                        state_dir=self.daemon.state_dir)
        new = fingerprint_of(self.daemon.state_dir)
        self.assertNotEqual(new, self.fingerprint)
        err = self.fails(7, "list", *self.remote("--token", self.secret), local=False)
        self.assertIn("changed", err.lower())
        self.assertEqual(self.pins(), {self.target: self.fingerprint})

        self.assertIn("web", self.ok("list", *self.remote("--token", self.secret,
                                                          "--fingerprint", new), local=False))
        self.assertEqual(self.pins(), {self.target: new})
        self.assertIn("web", self.ok("list", *self.remote("--token", self.secret), local=False))

    def test_first_contact_confirmed_on_a_terminal(self):
        code, shown = self.on_terminal("no\n", "list", *self.remote("--token", self.secret),
                                       local=False)
        self.assertEqual(code, 7, shown)
        self.assertIn(bare(self.fingerprint), bare(shown))
        self.assertEqual(self.pins(), {})
        code, shown = self.on_terminal("yes\n", "list", *self.remote("--token", self.secret),
                                       local=False)
        self.assertEqual(code, 0, shown)
        self.assertIn(self.vm.id, shown)
        self.assertEqual(self.pins(), {self.target: self.fingerprint})


class SettingsTest(RemoteTestCase):
    def remote_env(self, **changes):
        env = dict(VPVM_SERVER="127.0.0.2", VPVM_PORT=self.port, VPVM_TOKEN=self.secret,
                   VPVM_FINGERPRINT=self.fingerprint)
        env.update(changes)
        return {key: value for key, value in env.items() if value is not None}

    def test_each_environment_variable(self):
        self.assertEqual(self.label(env=self.remote_env()), "remote")
        self.assertEqual(self.pins(), {self.target: self.fingerprint})
        self.assertEqual(self.label(env=dict(VPVM_SERVER=self.target,
                                             VPVM_TOKEN_FILE=self.token_file)), "remote")
        local = dict(VPVM_SOCKET=self.daemon.socket, VPVM_STATE_DIR=self.daemon.state_dir)
        self.assertEqual(self.label(env=local), "master")
        self.assertEqual(self.label(env=dict(local, VPVM_TOKEN=self.secret)), "remote")
        self.fails(6, "whoami", env=dict(local, VPVM_SOCKET=self.daemon.socket + ".gone"),
                   local=False)

    def test_flags_beat_the_environment(self):
        socket_flags = ["--socket", self.daemon.socket, "--state-dir", self.daemon.state_dir]
        cases = [
            (dict(VPVM_TOKEN=BAD_SECRET), ["--token", self.secret], "remote"),
            (dict(VPVM_PORT=CLOSED_PORT), ["--port", self.port], "remote"),
            (dict(VPVM_SERVER="127.0.0.9"), ["--server", "127.0.0.2"], "remote"),
            (dict(VPVM_FINGERPRINT=other_fingerprint(self.fingerprint)),
             ["--fingerprint", self.fingerprint], "remote"),
            (dict(VPVM_TOKEN=None, VPVM_TOKEN_FILE="/nonexistent/token"),
             ["--token-file", self.token_file], "remote"),
            (dict(VPVM_TOKEN=BAD_SECRET), ["--token-file", self.token_file], "remote"),
            # Where the daemon is: a --socket flag beats VPVM_SERVER...
            (dict(VPVM_PORT=CLOSED_PORT, VPVM_TOKEN=None), socket_flags, "master"),
        ]
        for wrong, flags, label in cases:
            with self.subTest(wrong=wrong, flags=flags):
                env = self.remote_env(**wrong)
                self.assertNotEqual(self.vpvm("whoami", env=env, local=False).returncode, 0)
                self.assertEqual(self.label(*flags, env=env), label)
        # ...and a --server flag beats VPVM_SOCKET.
        env = dict(VPVM_SOCKET="/nonexistent/vpvmd.sock", VPVM_TOKEN=self.secret)
        self.fails(6, "whoami", env=env, local=False)
        self.assertEqual(self.label(*self.remote(), env=env), "remote")
        # --token beats --token-file in the same layer.
        self.assertEqual(self.label(*self.remote("--token", self.secret, "--token-file",
                                                 "/nonexistent/token")), "remote")
        self.assertEqual(self.label(env=self.remote_env(VPVM_TOKEN_FILE="/nonexistent/token")),
                         "remote")

    def test_the_environment_beats_the_config_file(self):
        right = dict(server="127.0.0.2", port=self.port, token=self.secret,
                     fingerprint=self.fingerprint)
        self.write_config(**right)
        self.assertEqual(self.label(), "remote")  # the file alone is read
        cases = [
            ("token", BAD_SECRET, dict(VPVM_TOKEN=self.secret)),
            ("port", CLOSED_PORT, dict(VPVM_PORT=self.port)),
            ("server", "127.0.0.9", dict(VPVM_SERVER="127.0.0.2")),
            ("fingerprint", other_fingerprint(self.fingerprint),
             dict(VPVM_FINGERPRINT=self.fingerprint)),
            ("token_file", "/nonexistent/token", dict(VPVM_TOKEN_FILE=self.token_file)),
        ]
        for key, wrong, env in cases:
            with self.subTest(key=key):
                config = dict(right, **{key: wrong})
                if key == "token_file":
                    del config["token"]
                self.write_config(**config)
                self.assertNotEqual(self.vpvm("whoami", local=False).returncode, 0)
                self.assertEqual(self.label(env=env), "remote")
        self.write_config(socket=self.daemon.socket + ".gone", state_dir=self.daemon.state_dir)
        self.fails(6, "whoami", local=False)
        self.assertEqual(self.label(env=dict(VPVM_SOCKET=self.daemon.socket)), "master")
        self.write_config(**dict(right, token=BAD_SECRET))
        self.assertEqual(self.label("--token", self.secret), "remote")  # a flag, too

    def test_another_config_file(self):
        self.write_config(**dict(server="127.0.0.2", port=self.port, token=BAD_SECRET))
        other = self.write_config(os.path.join(self.daemon.tmp, "other.conf"), server="127.0.0.2",
                                  port=self.port, token=self.secret, fingerprint=self.fingerprint)
        self.fails(3, "whoami", "--fingerprint", self.fingerprint, local=False)
        self.assertEqual(self.label("--config", other), "remote")
        self.assertEqual(self.label(env=dict(VPVM_CONFIG=other)), "remote")


class PlainTcpTest(CliTestCase):
    daemon_args = ["--auth-burst", "100000", "--listen", "127.0.0.2:0", "--tls", "off"]

    def setUp(self):
        super().setUp()
        os.makedirs(self.config_dir, exist_ok=True)

    def test_insecure_speaks_plain_tcp(self):
        self.assertFalse(self.daemon.addresses["tls"])
        vm = self.make_vm("web")
        secret = self.make_token("plain", 1).secret
        port = self.daemon.addresses["grpc"].rsplit(":", 1)[1]
        remote = ["--server", "127.0.0.2", "--port", port, "--token", secret]
        self.assertIn(vm.id, self.ok("list", *remote, "--insecure", local=False))
        self.assertEqual(self.json("whoami", *remote, env=dict(VPVM_INSECURE="1"),
                                   local=False)["label"], "plain")
        with open(os.path.join(self.config_dir, "vpvm.conf"), "w") as f:
            f.write("insecure = true\n")
        self.assertIn(vm.id, self.ok("list", *remote, local=False))
        os.remove(os.path.join(self.config_dir, "vpvm.conf"))
        refused = self.vpvm("list", *remote, local=False)
        self.assertNotEqual(refused.returncode, 0)
        # gRPC's own log of the failed handshake stays out: the error is one line.
        self.assertEqual(len(refused.stderr.strip().splitlines()), 1, refused.stderr)
        self.assertTrue(refused.stderr.startswith("vpvm: "), refused.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.config_dir, "known_servers")))


class ReachAndThrottleTest(CliTestCase):
    def test_a_daemon_that_does_not_run_cannot_be_reached(self):
        secret = self.daemon.master_secret()
        err = self.fails(6, "list", "--socket", "/nonexistent/vpvmd.sock", "--token", secret,
                         local=False)
        self.assertIn("/nonexistent/vpvmd.sock", err)
        self.master.channel.close()
        self.daemon.stop()
        self.fails(6, "list")
        self.fails(6, "token", "list", "--token", secret)

    def test_guessing_is_held_back(self):
        daemon = self.start_daemon(["--auth-burst", "2", "--auth-refill", "600",
                                    "--listen", "127.0.0.2:0"])
        remote = ["--server", daemon.addresses["grpc"],
                  "--fingerprint", daemon.addresses["fingerprint"]]
        for _ in range(2):
            self.fails(3, "whoami", *remote, "--token", BAD_SECRET, local=False)
        self.assertRegex(self.fails(8, "whoami", *remote, "--token", BAD_SECRET, local=False),
                         r"(?i)(again|retry|wait)")
        self.fails(8, "whoami", *remote, "--token", daemon.master_secret(), local=False)


if __name__ == "__main__":
    unittest.main()
