"use strict";

// The dashboard's one script: sign-in, and the settings page with 2FA enrolment. It talks to the
// daemon's own HTTP/JSON API; the session lives in an HttpOnly cookie, and every change repeats
// the session's CSRF token from the vpvm_csrf cookie.

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("vpvm_csrf="));
  if (csrf) headers["X-CSRF-Token"] = csrf.slice("vpvm_csrf=".length);
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error ? data.error.message : response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(text, kind) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = "message" + (kind ? " " + kind : "");
}

function signInPage() {
  const form = document.getElementById("signin");
  const codeRow = document.getElementById("code-row");
  const code = document.getElementById("code");
  if (new URLSearchParams(location.search).has("ended")) {
    say("Your session has ended. Sign in again.", "warn");
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = { secret: document.getElementById("secret").value.trim() };
    if (!codeRow.hidden) request.totpCode = code.value.trim();
    try {
      const answer = await api("POST", "/v1/session:signIn", request);
      if (answer.twoFactorRequired) {
        codeRow.hidden = false;
        code.focus();
        say("This token has two-factor sign-in: enter the code from your authenticator app.");
        return;
      }
      location.href = "/settings";
    } catch (error) {
      say(error.message, "error");
    }
  });
}

async function showTwoFactor() {
  const status = await api("GET", "/v1/session/twoFactor");
  document.getElementById("tfa-status").textContent = status.enabled
    ? "Two-factor sign-in is on: signing in with this token needs a code."
    : "Two-factor sign-in is not set up.";
  document.getElementById("enroll").hidden = status.enabled;
  if (status.enabled) document.getElementById("enrollment").hidden = true;
}

async function settingsPage() {
  const ended = () => location.replace("/?ended");
  try {
    const session = await api("GET", "/v1/session");
    document.getElementById("who").textContent =
      `${session.label} (${session.tokenId}), until ${new Date(session.expireTime).toLocaleString()}`;
    await showTwoFactor();
  } catch (error) {
    if (error.status === 401) return ended();
    say(error.message, "error");
  }
  // A session can end from elsewhere (the master turning 2FA off): notice it soon.
  setInterval(() => api("GET", "/v1/session").catch((e) => e.status === 401 && ended()), 3000);

  document.getElementById("signout").addEventListener("click", async () => {
    await api("POST", "/v1/session:signOut", {}).catch(() => {});
    location.replace("/");
  });
  document.getElementById("enroll").addEventListener("click", async () => {
    try {
      const enrollment = await api("POST", "/v1/session/twoFactor:beginEnrollment", {});
      document.getElementById("qr").src =
        "data:image/svg+xml;base64," + btoa(enrollment.qrCodeSvg);
      document.getElementById("tfa-secret").textContent = enrollment.secretBase32;
      document.getElementById("tfa-uri").textContent = enrollment.otpauthUri;
      document.getElementById("enrollment").hidden = false;
      document.getElementById("enroll").hidden = true;
      document.getElementById("confirm-code").focus();
      say("");
    } catch (error) {
      say(error.message, "error");
    }
  });
  document.getElementById("confirm").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = document.getElementById("confirm-code");
    try {
      await api("POST", "/v1/session/twoFactor:confirmEnrollment", { code: code.value.trim() });
      code.value = "";
      await showTwoFactor();
      say("Two-factor sign-in is on.", "ok");
    } catch (error) {
      say(error.message, "error");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.page === "signin") signInPage();
  if (document.body.dataset.page === "settings") settingsPage();
});
