// Enrollment pages: the "Copy key" button beside the manual key, and on a touch screen the
// passkey offered first (the same phone cannot scan its own QR code; a passkey needs no app).
// Without JavaScript the page works as served: the key can be selected and copied by hand.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);


for (const button of document.querySelectorAll("[data-copy-key]")) {
  const key = document.getElementById(button.dataset.copyKey);
  const status = button.parentElement.querySelector("[data-role=copy-status]");
  if (!key || !navigator.clipboard) continue; // no clipboard (plain http): the key stays selectable
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(key.textContent.replace(/\s+/g, ""));
      status.textContent = gettext("Key copied. Paste it into your authenticator app.");
    } catch {
      status.textContent = gettext("The key could not be copied: select it and copy it instead.");
    }
  });
}

// A touch screen: the passkey option moves before the app's (in the document, so the reading
// and tab order follow what is seen) and the headings say which comes first.
const options = document.querySelector("[data-enroll-options]");
if (options && window.matchMedia("(pointer: coarse)").matches) {
  const app = options.querySelector("[data-enroll-option=app]");
  const passkey = options.querySelector("[data-enroll-option=passkey]");
  if (app && passkey) {
    options.insertBefore(passkey, app);
    for (const heading of options.querySelectorAll("[data-first-text]")) {
      heading.textContent = heading.dataset.firstText;
    }
    options.classList.add("passkey-first");
  }
}
