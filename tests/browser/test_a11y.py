"""Accessibility and small screens, as a test: every page and state the flows below reach is checked
with axe-core (zero violations), for page-level horizontal scrolling at 390×844, and screenshotted
at 1280×900 and 390×844 into test-artifacts/ (git-ignored) for a person to look at.

axe-core is the npm package (`make axe`). Our strict CSP (script-src 'self') blocks Playwright's
page.add_script_tag (it inserts an inline <script>), so the file's text is run with page.evaluate,
which goes through the DevTools protocol and is not subject to the page's CSP: the pages are tested
exactly as served, with the CSP on.
"""

import re
import time
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole, User
from portal2fa.twofactor.models import TwoFactorSettings
from portal2fa.twofactor.services.enrollment import enrollment_begin

from ..admin.helpers import leave_codes
from ..conftest import PASSWORD, Enrolled
from ..reference_totp import totp
from .conftest import ARTIFACTS

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
REFLOW = {"width": 320, "height": 640}  # WCAG 1.4.10: content reflows at 320 CSS pixels
WRONG = "000000"

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""
# What axe cannot see: every ARIA id reference resolves, and every hint and error shown in a form
# field is named by its control's aria-describedby (else screen readers never read it).
REFERENCES = """() => {
  const problems = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-activedescendant"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attr}="${id}" on ${el.outerHTML.slice(0, 80)} names no element`);
      }
    }
  }
  for (const note of document.querySelectorAll(".field .hint, .field .error, fieldset .error")) {
    const box = note.closest(".field, fieldset");
    const described = [...box.querySelectorAll("[aria-describedby]")].concat(box.matches("[aria-describedby]") ? [box] : []);
    const named = note.id && described.some((el) => el.getAttribute("aria-describedby").split(/\\s+/).includes(note.id));
    if (!named) problems.push(`"${note.textContent.trim().slice(0, 60)}" is not in any aria-describedby of its field`);
  }
  return problems;
}"""
OVERFLOW = """() => {
  const page = document.documentElement.scrollWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((e) => !e.closest(".scroll-x"))
    .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
  // a control a phone user must scroll a table sideways to find (nothing says it is there)
  const hidden = [...document.querySelectorAll(".scroll-x input, .scroll-x button, .scroll-x select, .scroll-x a")]
    .filter((e) => e.type !== "hidden" && e.getBoundingClientRect().right > e.closest(".scroll-x").getBoundingClientRect().right + 1)
    .slice(0, 5).map((e) => e.outerHTML.slice(0, 80));
  return { scrollWidth: page, innerWidth: window.innerWidth, wide, hidden };
}"""


@dataclass
class Audit:
    """Checks one page state at a time and collects every problem, so one run reports them all."""

    page: Page
    axe_source: str
    problems: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def __call__(self, name: str) -> None:
        page = self.page
        self.states.append(name)
        page.wait_for_load_state("load")
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(50)  # one layout pass after the resize
            if page.evaluate("typeof window.axe") != "object":
                page.evaluate(self.axe_source)
            for violation in page.evaluate(AXE_RUN):
                self.problems.append(
                    f"{name} ({size}): axe {violation['impact']} {violation['id']}: "
                    f"{violation['help']}\n      " + "\n      ".join(violation["nodes"])
                )
            if size == "desktop":
                self.problems += [f"{name}: {p}" for p in page.evaluate(REFERENCES)]
            if size == "phone":
                box = page.evaluate(OVERFLOW)
                if box["scrollWidth"] > box["innerWidth"]:
                    self.problems.append(
                        f"{name} (phone): page scrolls sideways, scrollWidth {box['scrollWidth']}"
                        f" > innerWidth {box['innerWidth']}; wide: {box['wide']}"
                    )
                if box["hidden"]:
                    self.problems.append(
                        f"{name} (phone): controls off the side of a table: {box['hidden']}"
                    )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{name}-{size}.png", full_page=True)
        page.set_viewport_size(REFLOW)
        page.wait_for_timeout(50)
        box = page.evaluate(OVERFLOW)
        if box["scrollWidth"] > box["innerWidth"]:
            self.problems.append(
                f"{name} (320 px): page scrolls sideways, scrollWidth {box['scrollWidth']}; "
                f"wide: {box['wide']}"
            )
        page.set_viewport_size(DESKTOP)

    def assert_clean(self, expected_states: int) -> None:
        assert len(self.states) == expected_states, self.states
        assert not self.problems, "\n" + "\n".join(self.problems)


@pytest.fixture
def audit(page: Page, axe_source: str) -> Audit:
    page.set_viewport_size(DESKTOP)
    return Audit(page, axe_source)


@dataclass
class People:
    admin: Enrolled
    zed: Enrolled
    nora: User
    olga: User


@pytest.fixture
def people(transactional_db, make_role, make_user, enroll) -> People:
    TwoFactorSettings.objects.update_or_create(
        pk=1,
        defaults={"enabled": True, "enrollment_required": True, "max_invalid_attempts": 3},
    )
    admin_role, _ = SecurityRole.objects.get_or_create(
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    admin_role.requires_2fa = True
    admin_role.save(update_fields=["requires_2fa"])
    staff = make_role("Field Staff", type=RoleType.EMPLOYEE, requires_2fa=True)
    customers = make_role("Customers", type=RoleType.CUSTOMER, requires_2fa=False)
    admin = enroll(make_user("admin@example.com", role=admin_role, name="Ada Admin"))
    zed = enroll(make_user("zed.target@example.com", role=staff, name="Zed Target"))
    nora = make_user("nora.notstarted@example.com", role=staff, name="Nora Notstarted")
    olga = make_user("olga.other@example.com", role=staff, name="Olga Other")
    pending = make_user("pat.pending@example.com", role=staff, name="Pat Pending")
    enrollment_begin(user=pending, at=timezone.now() - timezone.timedelta(minutes=5))
    make_user("cora.customer@example.com", role=customers, name="Cora Customer")
    # Backup Codes Health with both lists, and a trend with more than one week.
    leave_codes(enroll(make_user("lou.low@example.com", role=staff, name="Lou Low")), 1)
    leave_codes(
        enroll(
            make_user("noah.none@example.com", role=staff, name="Noah None"),
            at=timezone.now() - timezone.timedelta(days=20),
        ),
        0,
    )
    return People(admin, zed, nora, olga)


def password_step(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def try_another_way(page: Page, choice: str) -> None:
    """On the verify page: open "Try another way" and follow one of its choices."""
    page.get_by_text("Try another way", exact=True).click()
    page.get_by_role("link", name=choice, exact=True).click()


def sign_in(page: Page, enrolled: Enrolled) -> None:
    password_step(page, enrolled.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    page.wait_for_load_state("load")
    if not page.get_by_label("Code", exact=True).count():  # a passkey leads: the app is a choice
        try_another_way(page, "Use your authenticator app")
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/$"))


def test_user_pages_have_no_axe_violations_and_fit_a_phone(page: Page, audit: Audit, people):
    page.goto("/signin/")
    audit("signin")
    password_step(page, "nobody@example.com", "wrong password")
    expect(page.get_by_role("alert")).to_be_visible()
    audit("signin-error")
    page.goto("/no-such-page/")
    audit("404")

    # Nora enrolls at sign-in: the page, a refused code, the backup codes, home, personal page.
    password_step(page, people.nora.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    audit("enroll")
    key = page.get_by_test_id("manual-key").inner_text().replace(" ", "")
    page.get_by_label("Authenticator code", exact=True).fill(WRONG)
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator(".field.has-error")).to_be_visible()
    audit("enroll-error")
    page.get_by_label("Authenticator code", exact=True).fill(totp(key, time.time()))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    audit("backup-codes")
    page.goto("/")
    audit("home")
    page.goto("/account/two-factor/")
    audit("personal-page")
    page.goto("/setup/two-factor/")
    audit("403")
    sign_out(page)

    # Zed: the verify page, a refused code, then locked after the maximum attempts.
    password_step(page, people.zed.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    audit("verify")
    for _ in range(2):
        page.get_by_label("Code", exact=True).fill(WRONG)
        page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("1 attempt remaining", exact=False)).to_be_visible()
    audit("verify-error")
    page.get_by_label("Code", exact=True).fill(WRONG)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_test_id("locked")).to_be_visible()
    audit("locked")

    audit.assert_clean(12)


def test_setup_pages_have_no_axe_violations_and_fit_a_phone(page: Page, audit: Audit, people):
    sign_in(page, people.admin)
    page.goto("/setup/")
    audit("setup-home")
    page.goto("/setup/two-factor/")
    audit("settings")
    page.get_by_label("Maximum Invalid Attempts", exact=True).fill("99")
    page.get_by_role("button", name="Save settings", exact=True).click()
    expect(page.locator(".field.has-error")).to_be_visible()
    # the field to fix has the focus, not the top of the long page (accessibility audit)
    expect(page.get_by_label("Maximum Invalid Attempts", exact=True)).to_be_focused()
    audit("settings-error")
    page.goto("/setup/two-factor/overview/")
    audit("overview")
    page.get_by_text("Enrollments per week as a table").click()
    audit("overview-trend-table")
    page.get_by_test_id("list-low-codes").get_by_role("link", name="Lou Low", exact=True).click()
    expect(page.get_by_test_id("user-2fa")).to_be_visible()
    audit("user-2fa")
    page.get_by_role("button", name="Reset enrollment…", exact=True).click()
    expect(page.get_by_role("alertdialog", name="Reset User Enrollment?")).to_be_visible()
    audit("reset-confirm-page")  # the server-rendered confirmation (the no-JS path)

    page.goto("/setup/two-factor/reset/")
    reset = page.get_by_role("button", name="Reset", exact=True)
    expect(reset).to_be_disabled()
    audit("reset")
    field = page.get_by_label("User", exact=True)
    field.press_sequentially("zed.tar")
    listbox = page.get_by_role("listbox", name="Matching users")
    expect(listbox.get_by_role("option")).to_have_count(1)
    field.press("ArrowDown")
    audit("reset-typeahead-open")
    field.fill("")
    field.press_sequentially("nobody-matches")
    expect(page.get_by_text("No matching active user")).to_be_visible()
    audit("reset-typeahead-no-match")
    field.fill("")
    field.press_sequentially("notstart")
    expect(listbox.get_by_role("option")).to_have_count(1)
    field.press("ArrowDown")
    field.press("Enter")
    expect(page.get_by_text("there is nothing to reset", exact=False)).to_be_visible()
    expect(reset).to_be_disabled()
    audit("reset-nothing-to-reset")
    field.fill("")
    field.press_sequentially("zed.tar")
    expect(listbox.get_by_role("option")).to_have_count(1)
    field.press("ArrowDown")
    field.press("Enter")
    reset.click()
    dialog = page.get_by_role("dialog", name="Reset User Enrollment?")
    expect(dialog).to_be_visible()
    audit("reset-dialog")
    dialog.get_by_role("button", name="Continue", exact=True).click()
    toast = page.locator(".toast")
    expect(toast).to_be_visible()
    audit("reset-toast")

    page.goto("/setup/users/")
    audit("users")
    page.goto("/setup/users/new/")
    audit("user-new")
    page.get_by_role("button", name=re.compile("^(Save|Create)")).first.click()
    audit("user-new-errors")
    page.goto("/setup/roles/")
    audit("roles")
    page.goto("/setup/roles/new/")
    audit("role-new")
    page.goto("/setup/audit/")
    audit("audit-log")
    page.goto("/setup/no-such-page/")
    audit("404-signed-in")

    audit.assert_clean(20)


# --- what axe does not measure ----------------------------------------------------------------------


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let bg = null;
  for (let node = el.parentElement; node; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = c; break; }
  }
  return { tag: el.tagName, text: (el.textContent || el.name || "").trim().slice(0, 40),
           href: el.getAttribute("href"), outline: style.outlineColor,
           width: parseFloat(style.outlineWidth), styleName: style.outlineStyle, behind: bg || "rgb(255, 255, 255)" };
}"""


def test_skip_link_and_a_focus_ring_of_at_least_3_to_1_on_every_stop(page: Page, people):
    sign_in(page, people.admin)
    page.goto("/setup/two-factor/")
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert (first["text"], first["href"]) == ("Skip to main content", "#main")
    assert page.get_by_role("link", name="Skip to main content").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # from <main>, the next stop is inside it
    assert page.evaluate("document.activeElement.closest('main') !== null")

    page.goto("/setup/two-factor/")
    seen = 0
    for _ in range(40):  # topbar links (dark), tabs, inputs, checkboxes, buttons (light)
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["tag"] == "BODY":
            break
        seen += 1
        ratio = contrast(rgb(focus["outline"]), rgb(focus["behind"]))
        assert focus["styleName"] != "none" and focus["width"] >= 2, focus
        assert ratio >= 3, (focus, ratio)
    assert seen >= 10


def test_disabled_reset_is_reachable_and_says_why(page: Page, people):
    sign_in(page, people.admin)
    page.goto("/setup/two-factor/reset/")
    reset = page.get_by_role("button", name="Reset", exact=True)
    expect(reset).to_be_disabled()  # aria-disabled: not operable...
    reset.focus()
    expect(reset).to_be_focused()  # ...but not skipped by the keyboard
    expect(reset).to_have_accessible_description(re.compile("Choose a user first"))
    reset.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/setup/two-factor/reset/$"))


LIVE_WATCH = """
window.__liveAdded = [];
new MutationObserver((records) => {
  for (const record of records) {
    const region = record.target.closest && record.target.closest('[role="status"]');
    if (region && record.addedNodes.length && document.readyState !== "loading") {
      window.__liveAdded.push(region.textContent.trim());
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_toast_is_announced_and_covers_no_form(page: Page, people):
    page.context.add_init_script(script=LIVE_WATCH)
    sign_in(page, people.admin)
    page.goto("/setup/two-factor/")
    page.get_by_role("button", name="Save settings", exact=True).click()
    toast = page.get_by_role("status").locator(".toast")
    expect(toast).to_have_count(1)
    # Inserted into the live region after load: what screen readers announce.
    added = page.evaluate("window.__liveAdded")
    assert any("No changes to save." in text for text in added), added
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        box = toast.bounding_box()
        for form in page.locator("main form").all():
            other = form.bounding_box()
            overlap = not (
                box["x"] + box["width"] <= other["x"]
                or other["x"] + other["width"] <= box["x"]
                or box["y"] + box["height"] <= other["y"]
                or other["y"] + other["height"] <= box["y"]
            )
            assert not overlap, (viewport, box, other)
