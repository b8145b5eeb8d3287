// Copy / download / print for the backup codes page. The codes are read from the page itself:
// they are never sent anywhere else and never stored by the server in clear.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);

const list = document.querySelector('[data-testid="backup-codes"]');
const actions = document.querySelector(".actions.js-only");
if (list && actions) {
  const codes = [...list.querySelectorAll("code")].map((c) => c.textContent.trim());
  const feedback = actions.querySelector('[data-role="feedback"]');
  const say = (text) => { feedback.textContent = text; };
  actions.hidden = false;
  actions.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const text = codes.join("\n") + "\n";
    if (button.dataset.action === "copy") {
      try { await navigator.clipboard.writeText(text); say(gettext("Copied.")); }
      catch { say(gettext("Copy failed: select the codes and copy them by hand.")); }
    } else if (button.dataset.action === "download") {
      const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      const link = Object.assign(document.createElement("a"), { href: url, download: button.dataset.filename });
      document.body.append(link); link.click(); link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      say(gettext("Downloaded."));
    } else if (button.dataset.action === "print") {
      window.print();
    }
  });
}
