"""Dashboard sessions and two-factor sign-in through the real vpvmd's HTTP gateway, with `curl`
and its cookie jar over real TLS, and codes computed by Debian's `oathtool` from the secret the
enrolment shows: the cookies' flags, CSRF protection, sign-out, 2FA enrolment, one use per code,
the lockout, the master turning 2FA off (which ends the token's sessions at once), other changes
that end sessions, idle expiry, and that 2FA never touches the token's API use."""

import json
import os
import subprocess
import tempfile
import time
import unittest

from test_daemon import ADMIN, API, create
from vpvm_client import Client, Daemon

VPVMD = os.environ["VPVMD"]


def totp(secret, offset_seconds=0):
    when = ["-N", f"now + {offset_seconds} seconds"] if offset_seconds else []
    done = subprocess.run(["oathtool", "--totp", "-b", *when, secret], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


class Browser:
    """curl with a cookie jar of its own, sending the CSRF cookie back as the dashboard does."""

    def __init__(self, daemon):
        self.port = int(daemon.addresses["http"].rsplit(":", 1)[1])
        self.cacert = os.path.join(daemon.state_dir, "tls", "cert.pem")
        self.jar = tempfile.NamedTemporaryFile(prefix="vpvm-jar-", delete=False).name
        self.set_cookies = []

    def cookie(self, name):
        with open(self.jar) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 7 and fields[5] == name:
                    return fields[6]
        return None

    def __call__(self, method, path, body=None, csrf=True, token=None):
        args = ["curl", "-sS", "--cacert", self.cacert, "--resolve",
                f"localhost:{self.port}:127.0.0.1", "-c", self.jar, "-b", self.jar, "-X", method,
                "-D", "-", f"https://localhost:{self.port}{path}"]
        csrf_token = self.cookie("vpvm_csrf")
        if csrf and csrf_token:
            args += ["-H", f"X-CSRF-Token: {csrf_token}"]
        if token:
            args += ["-H", f"X-Auth-Token: {token}"]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        # text=True has turned the header lines' CRLF into LF.
        head, _, payload = done.stdout.partition("\n\n")
        lines = head.split("\n")
        self.set_cookies = [line.split(":", 1)[1].strip() for line in lines[1:]
                            if line.lower().startswith("set-cookie:")]
        return int(lines[0].split()[1]), json.loads(payload) if payload.strip() else None

    def sign_in(self, secret, code=None):
        body = {"secret": secret}
        if code is not None:
            body["totpCode"] = code
        return self("POST", "/v1/session:signIn", body)


class SessionTestCase(unittest.TestCase):
    daemon_args = ["--auth-burst", "100000"]

    def setUp(self):
        self.daemon = Daemon(VPVMD, self.daemon_args).start()
        self.addCleanup(self.daemon.stop)
        self.master = Client(API, self.daemon.unix_channel(), self.daemon.master_secret())
        self.token = create(self.master, "alice", ADMIN)
        self.browser = Browser(self.daemon)
        self.addCleanup(os.unlink, self.browser.jar)

    def session_status(self, session_id):
        """GET /v1/session with this session cookie alone, whatever the jar holds."""
        done = subprocess.run(
            ["curl", "-sS", "--cacert", self.browser.cacert, "--resolve",
             f"localhost:{self.browser.port}:127.0.0.1", "-H", f"Cookie: vpvm_session={session_id}",
             "-o", "/dev/null", "-w", "%{http_code}",
             f"https://localhost:{self.browser.port}/v1/session"],
            capture_output=True, text=True, timeout=30, check=True)
        return int(done.stdout)

    def enrol(self, browser):
        status, enrolment = browser("POST", "/v1/session/twoFactor:beginEnrollment", {})
        self.assertEqual(status, 200, enrolment)
        self.assertTrue(enrolment["otpauthUri"].startswith("otpauth://totp/vpvm:alice"))
        self.assertIn(f"secret={enrolment['secretBase32']}", enrolment["otpauthUri"])
        self.assertTrue(enrolment["qrCodeSvg"].startswith("<svg"))
        status, done = browser("POST", "/v1/session/twoFactor:confirmEnrollment",
                               {"code": totp(enrolment["secretBase32"])})
        self.assertEqual(status, 200, done)
        self.assertTrue(done["enabled"])
        return enrolment["secretBase32"]

    def master_call(self, method, **fields):
        code, response, details, _ = self.master.call(
            f"vpvm.v1.TokenService.{method}",
            API.message(f"vpvm.v1.{method}Request", token_id=self.token.token.token_id, **fields))
        self.assertEqual(code.name, "OK", details)
        return response


class SignInTest(SessionTestCase):
    def test_sign_in_sets_a_private_session_cookie_that_authenticates_calls(self):
        status, answer = self.browser.sign_in(self.token.secret)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["sessionId"], "")  # never to the page's script
        self.assertEqual(answer["session"]["label"], "alice")
        session_cookie = next(c for c in self.browser.set_cookies
                              if c.startswith("vpvm_session="))
        for flag in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
            self.assertIn(flag, session_cookie)
        csrf_cookie = next(c for c in self.browser.set_cookies if c.startswith("vpvm_csrf="))
        self.assertNotIn("HttpOnly", csrf_cookie)
        status, me = self.browser("GET", "/v1/self")
        self.assertEqual(status, 200, me)
        self.assertEqual(me["tokenId"], self.token.token.token_id)
        self.assertEqual(self.browser("GET", "/v1/session")[1]["tokenId"],
                         self.token.token.token_id)

    def test_a_change_without_the_sessions_csrf_token_is_refused(self):
        self.browser.sign_in(self.token.secret)
        status, answer = self.browser("POST", "/v1/session/twoFactor:beginEnrollment", {},
                                      csrf=False)
        self.assertEqual(status, 403, answer)
        self.assertIn("X-CSRF-Token", answer["error"]["message"])
        self.assertFalse(self.browser("GET", "/v1/session/twoFactor")[1]["enrollmentPending"])

    def test_a_wrong_secret_is_refused_and_a_disabled_token_says_so(self):
        status, answer = self.browser.sign_in("vpvm_" + "C" * 38)
        self.assertEqual(status, 401, answer)
        self.assertIsNone(self.browser.cookie("vpvm_session"))
        self.master_call("DisableToken")
        status, answer = self.browser.sign_in(self.token.secret)
        self.assertEqual(status, 401)
        self.assertIn("disabled", answer["error"]["message"])

    def test_a_stale_or_live_session_cookie_never_spoils_a_sign_in(self):
        self.assertEqual(self.browser.sign_in(self.token.secret)[0], 200)
        first = self.browser.cookie("vpvm_session")
        # A sign-in over a live session, without its CSRF token: a new session replaces it.
        status, answer = self.browser("POST", "/v1/session:signIn", {"secret": self.token.secret},
                                      csrf=False)
        self.assertEqual(status, 200, answer)
        second = self.browser.cookie("vpvm_session")
        self.assertNotEqual(first, second)
        self.assertEqual(self.session_status(first), 401)
        self.assertEqual(self.session_status(second), 200)
        # A cookie of a session that ended long ago (a restart, the idle timeout).
        done = subprocess.run(
            ["curl", "-sS", "--cacert", self.browser.cacert, "--resolve",
             f"localhost:{self.browser.port}:127.0.0.1", "-H", "Cookie: vpvm_session=ended-long-ago",
             "-H", "Content-Type: application/json", "-o", "/dev/null", "-w", "%{http_code}",
             "--data-binary", json.dumps({"secret": self.token.secret}),
             f"https://localhost:{self.browser.port}/v1/session:signIn"],
            capture_output=True, text=True, timeout=30, check=True)
        self.assertEqual(done.stdout, "200")

    def test_sign_out_ends_the_session(self):
        self.browser.sign_in(self.token.secret)
        self.assertEqual(self.browser("POST", "/v1/session:signOut", {})[0], 200)
        self.assertTrue(any(c.startswith("vpvm_session=;") for c in self.browser.set_cookies))
        status, answer = self.browser("GET", "/v1/self")
        self.assertEqual(status, 401, answer)

    def test_the_dashboard_pages_are_served_with_a_strict_policy(self):
        for path, marker in [("/", 'id="signin"'), ("/settings", 'id="enroll"'),
                             ("/dashboard.js", "signInPage"), ("/dashboard.css", "body")]:
            done = subprocess.run(["curl", "-sS", "--cacert", self.browser.cacert, "--resolve",
                                   f"localhost:{self.browser.port}:127.0.0.1", "-D", "-",
                                   f"https://localhost:{self.browser.port}{path}"],
                                  capture_output=True, text=True, check=True)
            self.assertIn(" 200 ", done.stdout.split("\r\n")[0])
            self.assertIn("content-security-policy: default-src 'self'", done.stdout.lower())
            self.assertIn(marker, done.stdout)


class TwoFactorTest(SessionTestCase):
    def test_enrolment_then_sign_in_needs_a_fresh_code_each_time(self):
        self.browser.sign_in(self.token.secret)
        secret = self.enrol(self.browser)
        status, answer = self.browser.sign_in(self.token.secret)
        self.assertEqual(status, 200)
        self.assertTrue(answer["twoFactorRequired"])
        self.assertEqual(self.browser("GET", "/v1/session/twoFactor")[1]["enabled"], True)

        other = Browser(self.daemon)
        self.addCleanup(os.unlink, other.jar)
        status, answer = other.sign_in(self.token.secret)
        self.assertTrue(answer["twoFactorRequired"])
        self.assertIsNone(other.cookie("vpvm_session"))
        # The code that confirmed the enrolment was used: it is refused; the next one works once.
        status, answer = other.sign_in(self.token.secret, totp(secret))
        self.assertEqual(status, 401, answer)
        self.assertIn("used already", answer["error"]["message"])
        next_code = totp(secret, 30)
        status, answer = other.sign_in(self.token.secret, next_code)
        self.assertEqual(status, 200, answer)
        self.assertTrue(answer["session"]["twoFactorVerified"])
        status, answer = Browser(self.daemon).sign_in(self.token.secret, next_code)
        self.assertEqual(status, 401, answer)

    def test_two_factor_concerns_the_dashboard_only(self):
        self.browser.sign_in(self.token.secret)
        self.enrol(self.browser)
        status, me = Browser(self.daemon)("GET", "/v1/self", token=self.token.secret)
        self.assertEqual(status, 200, me)
        code, _, details, _ = Client(API, self.daemon.tls_channel(), self.token.secret).call(
            "vpvm.v1.SystemService.InspectSelf")
        self.assertEqual(code.name, "OK", details)

    def test_wrong_codes_lock_sign_in_for_that_token(self):
        self.browser.sign_in(self.token.secret)
        secret = self.enrol(self.browser)
        other = Browser(self.daemon)
        self.addCleanup(os.unlink, other.jar)
        right = totp(secret, 30)
        wrong = "000000" if right != "000000" else "111111"
        messages = [other.sign_in(self.token.secret, wrong)[1]["error"]["message"]
                    for _ in range(5)]
        self.assertIn("locked until", messages[-1])
        status, answer = other.sign_in(self.token.secret, right)
        self.assertEqual(status, 429, answer)
        self.assertIn("locked", answer["error"]["message"])

    def test_the_master_turning_2fa_off_ends_the_tokens_sessions_at_once(self):
        self.browser.sign_in(self.token.secret)
        secret = self.enrol(self.browser)
        signed_in = Browser(self.daemon)
        self.addCleanup(os.unlink, signed_in.jar)
        self.assertEqual(signed_in.sign_in(self.token.secret, totp(secret, 30))[0], 200)
        self.assertEqual(signed_in("GET", "/v1/session")[0], 200)
        token = self.master_call("DisableTokenTwoFactor")
        self.assertFalse(token.two_factor_enabled)
        for browser in (self.browser, signed_in):
            status, answer = browser("GET", "/v1/session")
            self.assertEqual(status, 401, answer)
            self.assertIn("ended", answer["error"]["message"])
        # The token itself works on, and signs in without a code now.
        status, answer = Browser(self.daemon).sign_in(self.token.secret)
        self.assertEqual(status, 200, answer)
        self.assertFalse(answer["twoFactorRequired"])


class SessionEndsTest(SessionTestCase):
    def test_rotating_disabling_or_revoking_the_token_ends_its_sessions(self):
        for change in ("RotateToken", "DisableToken", "RevokeToken"):
            with self.subTest(change=change):
                if change == "RevokeToken":
                    self.master_call("EnableToken")
                browser = Browser(self.daemon)
                self.addCleanup(os.unlink, browser.jar)
                secret = self.token.secret
                self.assertEqual(browser.sign_in(secret)[0], 200)
                response = self.master_call(change)
                if change == "RotateToken":
                    self.token.secret = response.secret
                self.assertEqual(browser("GET", "/v1/session")[0], 401)


    def test_a_token_that_expires_ends_its_sessions_for_good(self):
        expiring = create(self.master, "expiring", ADMIN, expire_seconds=int(time.time()) + 2)
        self.assertEqual(self.browser.sign_in(expiring.secret)[0], 200)
        session_id = self.browser.cookie("vpvm_session")
        self.assertEqual(self.session_status(session_id), 200)
        deadline = time.time() + 10
        while True:  # until the expiry has passed; the token itself is not changed
            status, answer = self.browser("GET", "/v1/session")
            if status != 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 401, answer)
        self.assertIn("expired", answer["error"]["message"])
        self.assertTrue(any(c.startswith("vpvm_session=;") for c in self.browser.set_cookies))
        # A new expiry revives the token, not the session.
        request = API.message("vpvm.v1.UpdateTokenRequest", token_id=expiring.token.token_id)
        request.expire_time.seconds = int(time.time()) + 3600
        request.update_mask.paths.append("expire_time")
        code, _, details, _ = self.master.call("vpvm.v1.TokenService.UpdateToken", request)
        self.assertEqual(code.name, "OK", details)
        self.assertEqual(self.session_status(session_id), 401)
        self.assertEqual(Browser(self.daemon).sign_in(expiring.secret)[0], 200)


class SignInThrottleTest(SessionTestCase):
    daemon_args = ["--auth-burst", "2", "--auth-refill", "3600"]

    def test_guessed_secrets_are_throttled_per_address_like_any_refused_token(self):
        for _ in range(2):
            self.assertEqual(self.browser.sign_in("vpvm_" + "D" * 38)[0], 401)
        status, answer = self.browser.sign_in(self.token.secret)
        self.assertEqual(status, 429, answer)
        self.assertIn("too many failed attempts", answer["error"]["message"])


class IdleExpiryTest(SessionTestCase):
    daemon_args = ["--auth-burst", "100000", "--session-idle-timeout", "1"]

    def test_an_idle_session_expires(self):
        status, answer = self.browser.sign_in(self.token.secret)
        self.assertEqual(status, 200)
        expires = answer["session"]["expireTime"]
        self.assertEqual(self.browser("GET", "/v1/session")[0], 200)
        deadline = time.time() + 1.5  # the idle timeout, passing; nothing else ends the session
        while time.time() < deadline:
            time.sleep(0.1)
        status, answer = self.browser("GET", "/v1/session")
        self.assertEqual(status, 401, (answer, expires))


if __name__ == "__main__":
    unittest.main()
