// Copy a Temporary Access Pass just issued (Setup pages). The pass is read from the page itself:
// it is never sent anywhere else.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);

for (const button of document.querySelectorAll('button[data-action="copy-pass"]')) {
  const source = document.getElementById(button.dataset.copy);
  const feedback = button.parentElement.querySelector('[data-role="copy-feedback"]');
  button.hidden = false;
  button.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(source.textContent.trim()); feedback.textContent = gettext("Copied."); }
    catch { feedback.textContent = gettext("Copy failed: select the pass and copy it by hand."); }
  });
}
