// Reset Enrollment tab: the User typeahead (ARIA combobox) and the confirmation dialog.
// Without this script the same flow works through plain forms and a server-rendered confirm page.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);
const interpolate = window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]));

const searchForm = document.querySelector("form.user-search");
const resetForm = document.getElementById("reset-form");
const dialog = document.getElementById("reset-dialog");

if (searchForm && resetForm && dialog) {
  const input = searchForm.querySelector('[role="combobox"]');
  const listbox = document.getElementById(input.getAttribute("aria-controls"));
  const userField = resetForm.querySelector('input[name="user"]');
  const card = resetForm.querySelector('[data-testid="selected-user"]');
  const resetButton = resetForm.querySelector('[data-action="reset"]');
  const why = resetForm.querySelector('[data-role="reset-why"]');
  const empty = document.getElementById("user-options-empty");
  const resetAllowed = () => resetButton.getAttribute("aria-disabled") !== "true";
  let results = [];
  let active = -1;
  let selected = null;
  let timer = null;
  let generation = 0;

  const show = (open) => {
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (!open) input.removeAttribute("aria-activedescendant");
  };

  const render = () => {
    // Only options inside the listbox (an empty listbox must not be shown): "no match" is said
    // by a polite live region beside it instead.
    listbox.replaceChildren(...results.map((user, i) => {
      const li = document.createElement("li");
      li.id = `user-option-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.textContent = `${user.name} <${user.email}> — ${user.state}`;
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
      return li;
    }));
    const typed = input.value.trim().length >= 2;
    empty.textContent = typed && results.length === 0 ? gettext("No matching active user") : "";
    if (active >= 0) input.setAttribute("aria-activedescendant", `user-option-${active}`);
    else input.removeAttribute("aria-activedescendant");
    show(typed && results.length > 0);
  };

  const line = (text, className) => {
    const p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  };

  const describe = (user) => {
    if (!user) {
      card.replaceChildren(line(gettext("No user selected."), "hint"));
      return;
    }
    const summary = line("");
    const name = document.createElement("strong");
    name.textContent = user.name;
    const state = document.createElement("span");
    state.dataset.role = "state";
    state.textContent = user.state;
    const details = document.createElement("a");
    details.href = card.dataset.userUrl.replace(/\/0\/$/, `/${user.id}/`);
    details.textContent = gettext("2FA details");
    summary.append(name, ` · ${user.email} · ${gettext("State:")} `, state, " · ", details);
    const rows = [summary];
    if (!user.resettable) {
      rows.push(line(interpolate(gettext("%(name)s has not enrolled: there is nothing to reset."), { name: user.name }, true), "warning"));
    }
    card.replaceChildren(...rows);
  };

  const select = (user) => {
    selected = user;
    userField.value = user ? user.id : "";
    const allowed = Boolean(user && user.resettable);
    if (allowed) resetButton.removeAttribute("aria-disabled");
    else resetButton.setAttribute("aria-disabled", "true");
    // the reason it is unavailable describes it only while it is (hidden text is still read)
    if (allowed) resetButton.removeAttribute("aria-describedby");
    else resetButton.setAttribute("aria-describedby", why.id);
    why.hidden = allowed;
    why.textContent = user
      ? gettext("Reset is available only for a user who has started or completed enrollment.")
      : gettext("Choose a user first: Reset is available once a user who has enrolled is selected.");
    describe(user);
  };

  const choose = (index) => {
    const user = results[index];
    if (!user) return;
    input.value = `${user.name} <${user.email}>`;
    show(false);
    select(user);
  };

  const search = async () => {
    const query = input.value.trim();
    const mine = ++generation;
    if (query.length < 2) { results = []; active = -1; empty.textContent = ""; show(false); return; }
    const url = `${searchForm.dataset.searchUrl}?q=${encodeURIComponent(query)}`;
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok || mine !== generation) return;
    results = (await response.json()).results;
    active = -1;  // nothing chosen until the arrow keys move into the list
    render();
  };

  input.addEventListener("input", () => {
    if (userField.value) select(null);  // also a user pre-selected by the server (?user=)
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("keydown", (event) => {
    const open = !listbox.hidden && results.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) { search(); return; }
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = active < 0 ? (step > 0 ? 0 : results.length - 1) : (active + step + results.length) % results.length;
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && active >= 0) choose(active);
    } else if (event.key === "Escape") {
      show(false);
    }
  });
  input.addEventListener("blur", () => show(false));
  searchForm.addEventListener("submit", (event) => event.preventDefault());
  // Typed before this script had loaded (a slow connection): search for it now.
  if (document.activeElement === input && input.value !== input.defaultValue) search();

  resetForm.addEventListener("submit", (event) => {
    if (event.submitter?.dataset.action === "issue-pass") return;  // not a reset: no dialog
    if (resetForm.querySelector('input[name="confirmed"]')) return;  // confirmed: let it go
    event.preventDefault();
    if (!resetAllowed()) { why.hidden = false; return; }
    const who = dialog.querySelector('[data-role="dialog-user"]');
    who.textContent = selected ? `${selected.name} <${selected.email}>` : card.textContent.trim();
    dialog.showModal();
  });
  dialog.querySelector('[data-action="cancel"]').addEventListener("click", () => dialog.close());
  dialog.querySelector('[data-action="continue"]').addEventListener("click", () => {
    const confirmed = Object.assign(document.createElement("input"), { type: "hidden", name: "confirmed", value: "on" });
    resetForm.append(confirmed);
    dialog.close();
    resetForm.requestSubmit();
  });
}
