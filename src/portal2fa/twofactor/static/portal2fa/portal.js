// Progressive enhancement for every page: mark JS as available and show messages as toasts.
document.documentElement.classList.add("js");

const region = document.querySelector(".messages[role=status]");
const list = region && region.querySelector("ul");
if (list) {
  region.classList.add("toasts");
  for (const item of list.querySelectorAll(".message")) {
    item.classList.add("toast");
    const close = Object.assign(document.createElement("button"), { type: "button", className: "toast-close", textContent: "×" });
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => { item.remove(); if (!list.children.length) list.remove(); });
    item.append(close);
  }
  // A live region announces changes, not what it held at load: put the messages back a moment
  // later so screen readers read them out (the region itself was in the page from the start).
  list.remove();
  setTimeout(() => region.append(list), 250);
}
