// Progressive enhancement for every page: mark JS as available and show messages as toasts.
// Texts from Django's JavaScript catalogue (portal2fa/_assets.html loads it before this module);
// without it, English.
const gettext = window.gettext || ((text) => text);
const interpolate = window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]));

document.documentElement.classList.add("js");

const region = document.querySelector(".messages[role=status]");
const list = region && region.querySelector("ul");
if (list) {
  region.classList.add("toasts");
  for (const item of list.querySelectorAll(".message")) {
    item.classList.add("toast");
    const close = Object.assign(document.createElement("button"), { type: "button", className: "toast-close", textContent: "×" });
    close.setAttribute("aria-label", interpolate(gettext("Dismiss: %(message)s"), { message: item.textContent.trim() }, true));
    close.addEventListener("click", () => {
      // focus must not fall to the page: the next message's button, else the main content
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      if (!list.children.length) list.remove();
      const target = next ? next.querySelector(".toast-close") : document.querySelector("main");
      if (target) target.focus();
    });
    item.append(close);
  }
  // A live region announces changes, not what it held at load: put the messages back a moment
  // later so screen readers read them out (the region itself was in the page from the start).
  list.remove();
  setTimeout(() => region.append(list), 250);
}

// A form sent back with errors: focus its first field in error (its messages are linked to it by
// aria-describedby), so the user lands on what to fix, not at the top of a long page.
const invalid = document.querySelector('.p2fa [aria-invalid="true"]');
if (invalid) invalid.focus();
