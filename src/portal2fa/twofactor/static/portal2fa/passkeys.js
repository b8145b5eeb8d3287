// Passkeys and security keys (WebAuthn): add one on the personal page, use one at sign-in.
// The server (py_webauthn) makes the options and verifies the answers; this module only converts
// between base64url (JSON) and the ArrayBuffers the browser's WebAuthn API takes and gives.
// Forms marked data-passkey="register" or data-passkey="signin" carry the endpoints as data-
// attributes and a CSRF token field; data-passkey="confirm" (the personal page's "Confirm with a
// passkey") is an assertion like "signin", on other endpoints. A sign-in form's data-trust-field names the page's "Trust
// this browser" checkbox (in the code form beside it): its state goes with the final POST as a
// query parameter, the body being the key's answer.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);
const interpolate = window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]));


const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
};

const toText = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

function creationOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  };
}

function requestOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: withIds(options.allowCredentials),
  };
}

// What py_webauthn reads: the credential with its binary fields as base64url text.
function credentialJSON(credential, response) {
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response,
  };
}

function registrationJSON(credential) {
  const r = credential.response;
  return credentialJSON(credential, {
    clientDataJSON: toText(r.clientDataJSON),
    attestationObject: toText(r.attestationObject),
    transports: typeof r.getTransports === "function" ? r.getTransports() : [],
  });
}

function assertionJSON(credential) {
  const r = credential.response;
  return credentialJSON(credential, {
    clientDataJSON: toText(r.clientDataJSON),
    authenticatorData: toText(r.authenticatorData),
    signature: toText(r.signature),
    userHandle: r.userHandle ? toText(r.userHandle) : undefined,
  });
}

async function post(url, form, body) {
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const headers = { "X-CSRFToken": csrf };
  if (!(body instanceof FormData)) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: body instanceof FormData ? body : JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch { data = { error: gettext("Something went wrong. Reload the page and try again.") }; }
  return data;
}

// The final POST's URL: with ?<field>=1 when the page's "Trust this browser" box is ticked now.
function submitUrl(form) {
  const field = form.dataset.trustField;
  const box = field ? document.querySelector(`input[type=checkbox][name="${field}"]`) : null;
  if (!box || !box.checked) return form.dataset.submitUrl;
  const url = new URL(form.dataset.submitUrl, window.location.href);
  url.searchParams.set(field, "1");
  return url.pathname + url.search;
}

const CANCELLED = gettext("The browser did not use a key (cancelled or timed out). Try again.");

let forms = 0;

function setUp(form) {
  const feedback = form.querySelector('[data-role="passkey-feedback"]');
  const button = form.querySelector("button[type=submit]");
  feedback.id = feedback.id || `passkey-feedback-${++forms}`;
  let fixHere = null;  // after a refusal: the field it names (e.g. "name", "code"), else the button
  const say = (text, field) => {
    feedback.textContent = text;
    feedback.hidden = !text;
    for (const input of form.querySelectorAll("input[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== feedback.id);
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    const input = field && form.querySelector(`input[name="${field}"]`);
    if (input) {  // the message belongs to this field: marked, linked, focused once the button is back
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), feedback.id].filter(Boolean).join(" "));
    }
    fixHere = text ? input || button : null;
  };
  if (!window.PublicKeyCredential) {
    say(gettext("This browser does not support passkeys or security keys."));
    button.disabled = true;
    return;
  }
  // WebAuthn refuses an IP address as the site's name (the relying party id): say so up front.
  if (/^[\d.]+$|^\[.*\]$/.test(window.location.hostname)) {
    const port = window.location.port ? `:${window.location.port}` : "";
    say(interpolate(gettext("Passkeys need the site's name in the address bar, not an IP address: open %(address)s or the site's domain name."), { address: `http://localhost${port}/` }, true));
    button.disabled = true;
    return;
  }
  // The button comes disabled (the form's action answers only this script), so a click before
  // this module has loaded cannot leave the page for a bare JSON answer.
  button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    say("");
    try {
      const register = form.dataset.passkey === "register";
      const started = await post(form.dataset.optionsUrl, form, new FormData(form));
      if (started.redirect) { window.location.assign(started.redirect); return; }
      if (started.error) { say(started.error, started.field); if (started.locked) window.location.reload(); return; }
      const options = JSON.parse(started.options);
      let credential;
      try {
        credential = register
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
      } catch {
        say(CANCELLED);
        return;
      }
      const answer = register ? registrationJSON(credential) : assertionJSON(credential);
      const done = await post(submitUrl(form), form, answer);
      if (done.redirect) { window.location.assign(done.redirect); return; }
      say(done.error || CANCELLED);
      if (done.locked) window.location.reload();
    } finally {
      button.disabled = false;  // (a disabled button lost the focus: give it to what to fix)
      if (fixHere) fixHere.focus();
    }
  });
}

document.querySelectorAll("form[data-passkey]").forEach(setUp);
