// The Settings tab: say which Security Roles (and whether the site-wide settings) have changes
// not saved yet, warn before leaving with them, and show only the due-date input the chosen rule
// uses. Without JS every input shows, a refused form marks its unsaved roles (server-rendered),
// and Save works the same.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);
const interpolate = window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]));

const form = document.querySelector("form[data-settings-form]");

const changed = (el) => {
  if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
  if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
  return el.value !== el.defaultValue;
};
const editable = (el) => el.name && !["hidden", "submit", "button"].includes(el.type);

function showDueInputs(card) {
  const rule = card.querySelector('select[name^="due_rule_"]');
  if (!rule) return;
  for (const box of card.querySelectorAll("[data-show]")) {
    const wanted = box.dataset.show === "grace" ? rule.value !== "next_signin" : box.dataset.show === rule.value;
    box.hidden = !wanted && !box.classList.contains("has-error"); // an error stays in sight
  }
}

if (form) {
  const summary = form.querySelector("[data-unsaved-summary]");
  const refused = summary.hasAttribute("data-unsaved-at-load"); // a refused form: nothing is saved
  const cards = [...form.querySelectorAll("[data-role-card]")];
  let leaving = false;

  const update = () => {
    const names = [];
    const siteWide = [...form.elements].filter((el) => editable(el) && !el.closest("[data-role-card]"));
    if (siteWide.some(changed) || (refused && summary.textContent.includes(gettext("site-wide settings")))) {
      names.push(gettext("site-wide settings"));
    }
    for (const card of cards) {
      const dirty = card.hasAttribute("data-unsaved-at-load") || [...card.querySelectorAll("input, select")].filter(editable).some(changed);
      card.classList.toggle("changed", dirty);
      card.querySelector("[data-unsaved]").hidden = !dirty;
      if (dirty) names.push(card.dataset.roleName);
    }
    const text = names.length ? interpolate(gettext("Unsaved changes: %(names)s."), { names: names.join(gettext(", ")) }, true) : "";
    if (summary.textContent !== text) summary.textContent = text;
  };

  for (const card of cards) {
    showDueInputs(card);
    card.addEventListener("change", () => showDueInputs(card));
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", () => { leaving = true; });
  window.addEventListener("beforeunload", (event) => {
    if (!leaving && summary.textContent) event.preventDefault();
  });
}
