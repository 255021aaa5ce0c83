// The web dashboard in Debian's headless Chromium against a real vpvmd over TLS: sign in with a
// token, enrol 2FA with a code that Debian's oathtool computes from the secret the page shows,
// sign out, sign in again with a fresh code, see a reused code refused, and be signed out when
// the master turns the token's 2FA off.
//
// Environment: VPVMD (the daemon binary); CHROMIUM (default /usr/bin/chromium); SCREENSHOTS (a
// folder for the pages' screenshots, optional).

import { execFileSync, spawn } from "node:child_process";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const VPVMD = process.env.VPVMD;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOTS || "";

let daemon;
let browser;

// Starts vpvmd on free ports and waits for the address file it writes once it listens.
async function startDaemon() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpvm-web-"));
  const state = path.join(dir, "state");
  const log = fs.openSync(path.join(dir, "vpvmd.log"), "w");
  const proc = spawn(
    VPVMD,
    ["--state-dir", state, "--socket", path.join(dir, "s.sock"), "--listen", "off",
      "--http-listen", "127.0.0.1:0", "--log-level", "info"],
    { stdio: ["ignore", log, log] });
  const addressFile = path.join(state, "vpvmd.addresses.json");
  for (let waited = 0; waited < 30000; waited += 20) {
    if (proc.exitCode !== null) {
      throw new Error(`vpvmd exited: ${fs.readFileSync(path.join(dir, "vpvmd.log"), "utf8")}`);
    }
    if (fs.existsSync(addressFile)) {
      const addresses = JSON.parse(fs.readFileSync(addressFile, "utf8"));
      if (addresses.pid === proc.pid) {
        return {
          dir, proc,
          port: Number(addresses.http.split(":").pop()),
          ca: fs.readFileSync(path.join(state, "tls", "cert.pem")),
          master: fs.readFileSync(path.join(state, "master.token"), "utf8").trim(),
        };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("vpvmd did not become ready");
}

// A call to the HTTP/JSON API with the master token, trusting only the daemon's certificate.
function api(method, route, body) {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: "127.0.0.1", servername: "localhost", port: daemon.port, path: route, method,
      ca: daemon.ca,
      headers: { "X-Auth-Token": daemon.master, "Content-Type": "application/json" },
    }, (response) => {
      let text = "";
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => {
        const data = JSON.parse(text || "{}");
        if (response.statusCode !== 200) reject(new Error(`${route}: ${response.statusCode} ${text}`));
        else resolve(data);
      });
    });
    request.on("error", reject);
    if (body !== undefined) request.write(JSON.stringify(body));
    request.end();
  });
}

// The TOTP code of `secret` (base32) for now plus `offset` seconds, by Debian's oathtool.
function totp(secret, offset = 0) {
  const when = offset ? ["-N", `now + ${offset} seconds`] : [];
  return execFileSync("oathtool", ["--totp", "-b", ...when, secret], { encoding: "utf8" }).trim();
}

async function shot(page, name) {
  if (SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
}

// A fresh browser profile on the sign-in page: another person, or the same one later.
async function signInPage() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`https://localhost:${daemon.port}/`);
  return page;
}

async function submitSecret(page, secret) {
  await page.fill("#secret", secret);
  await page.click("#signin-button");
}

before(async () => {
  assert.ok(VPVMD, "VPVMD names the vpvmd binary");
  daemon = await startDaemon();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root has no user namespace sandbox here; the pages are our own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) {
    daemon.proc.kill("SIGTERM");
    await new Promise((resolve) => daemon.proc.once("exit", resolve));
    fs.rmSync(daemon.dir, { recursive: true, force: true });
  }
});

test("a wrong secret is refused on the sign-in page", async () => {
  const page = await signInPage();
  await submitSecret(page, "vpvm_notarealtokenatall");
  await page.waitForSelector("#message.error");
  assert.match(await page.textContent("#message"), /token|secret|malformed/i);
  assert.equal(new URL(page.url()).pathname, "/");
  await page.context().close();
});

test("sign in, enrol 2FA, sign in with a fresh code, reused code refused, master ends it",
  async () => {
    const created = await api("POST", "/v1/tokens", { label: "Browser user", accessLevel: "ACCESS_LEVEL_OPERATOR", vmScope: { allVms: true } });
    const secret = created.secret;
    const tokenId = created.token.tokenId;
    assert.match(secret, /^vpvm_/);

    // Sign in with the token alone: no 2FA yet.
    const page = await signInPage();
    await submitSecret(page, secret);
    await page.waitForURL("**/settings");
    await page.waitForSelector("#enroll:not([hidden])");
    assert.match(await page.textContent("#who"), new RegExp(tokenId));
    assert.match(await page.textContent("#tfa-status"), /not set up/);

    // The session cookie is out of the page's reach; the CSRF one is readable by design.
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "vpvm_session");
    assert.ok(session && session.httpOnly && session.secure && session.sameSite === "Strict");
    assert.ok(!(await page.evaluate(() => document.cookie)).includes("vpvm_session"));

    // Enrol: the page shows a QR code and the secret; a wrong code does not finish it.
    await page.click("#enroll");
    await page.waitForSelector("#enrollment:not([hidden])");
    const totpSecret = (await page.textContent("#tfa-secret")).trim();
    assert.match(totpSecret, /^[A-Z2-7]{16,}$/);
    const uri = (await page.textContent("#tfa-uri")).trim();
    assert.ok(uri.startsWith("otpauth://totp/vpvm:Browser%20user"), uri);
    assert.ok(uri.includes(`secret=${totpSecret}`), uri);
    const qrLoaded = await page.$eval("#qr", (img) => img.complete && img.naturalWidth > 0);
    assert.ok(qrLoaded, "the QR code image renders");
    await shot(page, "dashboard-enrolment");
    const current = totp(totpSecret);
    const wrong = String((Number(current) + 500000) % 1000000).padStart(6, "0");
    await page.fill("#confirm-code", wrong);
    await page.click("#confirm-button");
    await page.waitForSelector("#message.error");
    assert.match(await page.textContent("#tfa-status"), /not set up/);

    await page.fill("#confirm-code", current);
    await page.click("#confirm-button");
    await page.waitForSelector("#message.ok");
    assert.match(await page.textContent("#tfa-status"), /on/);
    await shot(page, "dashboard-settings");

    // Sign out, then back in: the secret alone now asks for a code.
    await page.click("#signout");
    await page.waitForURL((url) => url.pathname === "/");
    await submitSecret(page, secret);
    await page.waitForSelector("#code-row:not([hidden])");
    await shot(page, "dashboard-signin-code");
    const next = totp(totpSecret, 30);  // the next step's code: no waiting for the clock
    await page.fill("#code", next);
    await page.click("#signin-button");
    await page.waitForURL("**/settings");
    await page.waitForSelector("#who");

    // The same code again, from another browser: refused, and no session.
    const other = await signInPage();
    await submitSecret(other, secret);
    await other.waitForSelector("#code-row:not([hidden])");
    await other.fill("#code", next);
    await other.click("#signin-button");
    await other.waitForSelector("#message.error");
    assert.match(await other.textContent("#message"), /used already/);
    assert.equal(new URL(other.url()).pathname, "/");
    await other.context().close();

    // 2FA concerns the dashboard only: the token still works on the API without a code.
    await page.evaluate(async (s) => {
      const r = await fetch("/v1/self", { headers: { "X-Auth-Token": s } });
      if (!r.ok) throw new Error(`API refused the token: ${r.status}`);
    }, secret);

    // The master turns the token's 2FA off: the open session ends, and the page notices.
    await api("POST", `/v1/tokens/${tokenId}:disableTwoFactor`, {});
    await page.waitForURL((url) => url.pathname === "/" && url.search === "?ended",
      { timeout: 15000 });
    assert.match(await page.textContent("#message"), /session has ended/);
    await page.goto(`https://localhost:${daemon.port}/settings`);
    await page.waitForURL((url) => url.search === "?ended");
    await page.context().close();
  });
