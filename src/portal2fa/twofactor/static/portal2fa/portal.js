// Progressive enhancement for every page: mark JS as available and show messages as toasts.
document.documentElement.classList.add("js");

const messages = document.querySelector(".messages");
if (messages) {
  messages.classList.add("toasts");
  for (const item of messages.querySelectorAll(".message")) {
    item.classList.add("toast");
    const close = Object.assign(document.createElement("button"), { type: "button", className: "toast-close", textContent: "×" });
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => item.remove());
    item.append(close);
    if (!item.classList.contains("error")) setTimeout(() => item.classList.add("fading"), 8000);
  }
}
