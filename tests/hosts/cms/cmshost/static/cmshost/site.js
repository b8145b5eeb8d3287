// The site's script on every page of its layout: it translates with the admin's JavaScript
// catalogue (a held page that could not load the catalogue would fail here: gettext undefined).
document.querySelector("[data-host-greeting]").textContent = gettext("Welcome");
