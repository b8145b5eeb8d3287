"""End to end in a real Chromium, administrator side: Setup -> Two-Factor Authentication.

The Overview counts, the Reset Enrollment tab (keyboard-driven User combobox, confirmation dialog,
toast), the reset user's fresh enrollment at the next sign-in (QR read back with zxing-cpp, codes
from tests/reference_totp.py), and the same reset without JavaScript (server-rendered confirm step).
"""

import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole, User
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Authenticator, BackupCode, TwoFactorSettings
from portal2fa.twofactor.services.enrollment import enrollment_begin

from ..conftest import PASSWORD, Enrolled
from ..reference_totp import totp
from .qr import decode_qr

TABS = ["Settings", "Overview", "Reset Enrollment"]
WIDGETS = [
    "Enrollment Rate",
    "Status Breakdown",
    "Backup Codes Health",
    "Recent Enrollments",
    "Roles Without 2FA",
]
RESET_HINT = (
    "Remove a user's authenticator app enrollment and backup codes. "
    "Use this when a user loses access to their authenticator app."
)
DIALOG_TITLE = "Reset User Enrollment?"
DIALOG_MESSAGE = (
    "This will remove the user's authenticator app enrollment and all backup codes. "
    "The user will need to enroll again."
)
ZED_RESET = "Two-factor enrollment for Zed Target <zed.target@example.com> has been reset."
NORA_NOTHING = "Nora Notstarted has not enrolled: there is nothing to reset."


# --- data ------------------------------------------------------------------------------------------


@dataclass
class World:
    admin: Enrolled
    zed: Enrolled
    nora: User
    pending: User
    customer: User
    inactive: User


@pytest.fixture
def world(transactional_db, make_role, make_user, enroll) -> World:
    TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enrollment_required": True, "backup_codes_per_set": 10}
    )
    # The data migration's Administrator role is flushed after the first transactional test.
    admin_role, _ = SecurityRole.objects.get_or_create(
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    assert admin_role.grants_setup
    admin_role.requires_2fa = True
    admin_role.save(update_fields=["requires_2fa"])
    staff = make_role("Field Staff", type=RoleType.EMPLOYEE, requires_2fa=True)
    customers = make_role("Customers", type=RoleType.CUSTOMER, requires_2fa=False)

    admin = enroll(make_user("admin@example.com", role=admin_role, name="Ada Admin"))
    zed = enroll(make_user("zed.target@example.com", role=staff, name="Zed Target"))
    nora = make_user("nora.notstarted@example.com", role=staff, name="Nora Notstarted")
    pending = make_user("pat.pending@example.com", role=staff, name="Pat Pending")
    enrollment_begin(user=pending, at=timezone.now() - timezone.timedelta(minutes=5))
    customer = make_user("cora.customer@example.com", role=customers, name="Cora Customer")
    inactive = make_user(
        "ivan.inactive@example.com", role=staff, name="Ivan Inactive", active=False
    )
    enroll(inactive)
    return World(admin, zed, nora, pending, customer, inactive)


def assert_enrolled(enrolled: Enrolled) -> None:
    authenticator = Authenticator.objects.get(user=enrolled.user)
    assert authenticator.confirmed_at is not None
    assert BackupCode.objects.filter(authenticator=authenticator).count() == len(
        enrolled.backup_codes
    )


def assert_reset(by: User, whom: User) -> None:
    assert not Authenticator.objects.filter(user=whom).exists()
    assert not BackupCode.objects.filter(authenticator__user=whom).exists()
    [event] = AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET)
    assert (event.actor_id, event.target_id) == (by.pk, whom.pk)
    assert event.client_address == "127.0.0.1"
    assert [message.to for message in mail.outbox] == [[whom.email]]


# --- page helpers ----------------------------------------------------------------------------------


def sign_in(page: Page, enrolled: Enrolled) -> None:
    """Email and password, then a TOTP code for the current step (the fixture used one 10 min ago)."""
    user = enrolled.user
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name=f"Welcome, {user.full_name}")).to_be_visible()


def open_two_factor_setup(page: Page) -> None:
    page.goto("/setup/")
    expect(page.get_by_role("heading", name="Setup", exact=True)).to_be_visible()
    page.get_by_role("main").get_by_role(
        "link", name="Two-Factor Authentication", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/setup/two-factor/$"))
    expect(page.get_by_role("heading", name="Two-Factor Authentication", level=1)).to_be_visible()
    expect_current_tab(page, "Settings")


def tabs(page: Page):
    return page.get_by_role("navigation", name="Two-Factor Authentication")


def expect_current_tab(page: Page, name: str) -> None:
    links = tabs(page).get_by_role("link")
    expect(links).to_have_text(TABS)
    expect(tabs(page).locator('[aria-current="page"]')).to_have_count(1)
    expect(tabs(page).get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def open_tab(page: Page, name: str, path: str) -> None:
    tabs(page).get_by_role("link", name=name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    expect_current_tab(page, name)


def status_counts(page: Page) -> dict[str, int]:
    return {
        key: int(page.get_by_test_id(f"count-{key}").inner_text())
        for key in ("enrolled", "pending", "not-started")
    }


def choose_with_keyboard(page: Page, typed: str, option: str) -> None:
    """Type into the User combobox and pick the only match with ArrowDown + Enter, no mouse."""
    field = page.get_by_label("User", exact=True)
    expect(field).to_have_attribute("role", "combobox")
    field.fill("")
    field.press_sequentially(typed)
    listbox = page.get_by_role("listbox", name="Matching users")
    expect(listbox).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_text([option])
    expect(options.first).to_have_attribute("aria-selected", "false")  # nothing active yet
    field.press("Enter")  # Enter with no active option chooses nothing
    expect(listbox).to_be_visible()
    field.press("ArrowDown")  # moves onto the first option
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", "user-option-0")
    field.press("Enter")
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).to_be_focused()


def expect_selected(page: Page, user: User, state: str) -> None:
    card = page.get_by_test_id("selected-user")
    expect(card.get_by_text(user.full_name, exact=True)).to_be_visible()
    expect(card).to_contain_text(user.email)
    expect(card.locator('[data-role="state"]')).to_have_text(state)


def reset_button(page: Page):
    return page.get_by_role("button", name="Reset", exact=True)


def normalised(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


# --- tests -----------------------------------------------------------------------------------------


def test_overview_and_reset_with_javascript_then_fresh_enrollment(
    page: Page, browser, live_server, world: World
):
    admin, zed, nora = world.admin, world.zed, world.nora
    assert_enrolled(zed)

    # 2. Real sign-in with the second factor, then Setup -> Two-Factor Authentication.
    sign_in(page, admin)
    open_two_factor_setup(page)

    # 3. Overview: the five widgets (adoption per role and the trend after the first two) and
    # the live counts.
    open_tab(page, "Overview", "/setup/two-factor/overview/")
    ordered = [*WIDGETS[:2], "Adoption per Security Role", "Enrollment Trend", *WIDGETS[2:]]
    expect(page.locator(".widgets").get_by_role("heading", level=2)).to_have_text(ordered)
    for name in WIDGETS:
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    before = status_counts(page)
    # Active users: Ada, Zed (Enrolled); Pat (Pending); Nora, Cora (Not Started). Ivan is inactive.
    assert before == {"enrolled": 2, "pending": 1, "not-started": 2}
    expect(page.get_by_test_id("rate-text")).to_have_text("2 of 5")

    # 4. Reset Enrollment: heading, hint, Reset disabled until a user is chosen.
    open_tab(page, "Reset Enrollment", "/setup/two-factor/reset/")
    expect(page.get_by_role("heading", name="Reset User Enrollment", exact=True)).to_be_visible()
    expect(page.get_by_text(RESET_HINT, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_hidden()  # JS: typeahead
    expect(reset_button(page)).to_be_disabled()

    choose_with_keyboard(page, "zed.tar", "Zed Target <zed.target@example.com> — Enrolled")
    expect(page.get_by_label("User", exact=True)).to_have_value(
        "Zed Target <zed.target@example.com>"
    )
    expect_selected(page, zed.user, "Enrolled")
    expect(reset_button(page)).to_be_enabled()

    # The dialog, cancelled: nothing happens.
    reset_button(page).click()
    dialog = page.get_by_role("dialog", name=DIALOG_TITLE)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_have_text(DIALOG_TITLE)
    expect(dialog.locator("#reset-dialog-message")).to_have_text(DIALOG_MESSAGE)
    # the seed's message first, then what else goes and whom it concerns (accessibility audit)
    expect(dialog).to_have_accessible_description(
        re.compile(rf"^{re.escape(DIALOG_MESSAGE)} .*Zed Target <zed\.target@example\.com>")
    )
    expect(dialog.locator('[data-role="dialog-user"]')).to_have_text(
        "Zed Target <zed.target@example.com>"
    )
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/setup/two-factor/reset/$"))
    expect(page.locator(".toast")).to_have_count(0)
    assert_enrolled(zed)
    assert not AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).exists()

    # Typing again drops the selection; choose again, Reset, Continue.
    page.get_by_label("User", exact=True).fill("")
    expect(reset_button(page)).to_be_disabled()
    choose_with_keyboard(page, "zed.tar", "Zed Target <zed.target@example.com> — Enrolled")
    expect_selected(page, zed.user, "Enrolled")
    reset_button(page).click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator(".toast").filter(has_text=ZED_RESET)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/setup/two-factor/reset/$"))
    expect_current_tab(page, "Reset Enrollment")
    assert_reset(by=admin.user, whom=zed.user)

    # 5. Overview again: one fewer Enrolled, one more Not Started.
    open_tab(page, "Overview", "/setup/two-factor/overview/")
    after = status_counts(page)
    assert after == {
        "enrolled": before["enrolled"] - 1,
        "pending": before["pending"],
        "not-started": before["not-started"] + 1,
    }

    # 6. A Not Started user: nothing to reset, Reset stays disabled.
    open_tab(page, "Reset Enrollment", "/setup/two-factor/reset/")
    choose_with_keyboard(
        page, "notstart", "Nora Notstarted <nora.notstarted@example.com> — Not Started"
    )
    expect_selected(page, nora, "Not Started")
    expect(
        page.get_by_test_id("selected-user").get_by_text(NORA_NOTHING, exact=True)
    ).to_be_visible()
    expect(reset_button(page)).to_be_disabled()

    # 9. No CSP violation or other console error on the admin pages.
    assert page.csp_errors == []

    # 7. Zed, in a fresh browser context, is led through enrollment again with new codes.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    try:
        zed_page = context.new_page()
        errors: list[str] = []
        zed_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        zed_page.goto("/signin/")
        zed_page.get_by_label("Email", exact=True).fill(zed.user.email)
        zed_page.get_by_label("Password", exact=True).fill(PASSWORD)
        zed_page.get_by_role("button", name="Sign in", exact=True).click()
        expect(zed_page).to_have_url(re.compile(r"/signin/enroll/$"))
        expect(
            zed_page.get_by_role("heading", name="Set up two-factor authentication")
        ).to_be_visible()

        uri = urlparse(decode_qr(zed_page))
        assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
        [secret] = parse_qs(uri.query)["secret"]
        assert secret != zed.secret
        assert normalised(zed_page.get_by_test_id("manual-key").inner_text()) == secret

        zed_page.get_by_label("Authenticator code", exact=True).fill(totp(secret, time.time()))
        zed_page.get_by_role("button", name="Confirm", exact=True).click()
        expect(zed_page.get_by_role("heading", name="Your backup codes")).to_be_visible()
        codes = zed_page.get_by_test_id("backup-codes").get_by_role("listitem")
        expect(codes).to_have_count(10)
        new_codes = {normalised(text) for text in codes.all_inner_texts()}
        assert len(new_codes) == 10
        assert new_codes.isdisjoint(normalised(code) for code in zed.backup_codes)

        authenticator = Authenticator.objects.get(user=zed.user)
        assert authenticator.confirmed_at is not None
        assert authenticator.backup_codes_remaining == 10
        assert errors == []
    finally:
        context.close()


def test_reset_without_javascript(browser, live_server, world: World):
    admin, zed, nora = world.admin, world.zed, world.nora
    context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 1200, "height": 900},
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        sign_in(page, admin)
        open_two_factor_setup(page)
        open_tab(page, "Reset Enrollment", "/setup/two-factor/reset/")
        expect(
            page.get_by_role("heading", name="Reset User Enrollment", exact=True)
        ).to_be_visible()
        expect(page.get_by_text(RESET_HINT, exact=True)).to_be_visible()
        expect(reset_button(page)).to_be_disabled()

        # A Not Started user first: nothing to reset.
        page.get_by_label("User", exact=True).fill("nora")
        page.get_by_role("button", name="Search", exact=True).click()
        results = page.get_by_role("list", name="Search results")
        results.get_by_role("link", name="Nora Notstarted <nora.notstarted@example.com>").click()
        expect(page).to_have_url(re.compile(rf"user={nora.pk}$"))
        expect_selected(page, nora, "Not Started")
        expect(page.get_by_text(NORA_NOTHING, exact=True)).to_be_visible()
        expect(reset_button(page)).to_be_disabled()

        # Search, pick Zed from the server-rendered results.
        page.get_by_label("User", exact=True).fill("zed.tar")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page).to_have_url(re.compile(r"\?q=zed\.tar$"))
        expect(results.get_by_role("listitem")).to_have_text(
            ["Zed Target <zed.target@example.com> — Enrolled"]
        )
        results.get_by_role("link", name="Zed Target <zed.target@example.com>").click()
        expect(page).to_have_url(re.compile(rf"user={zed.user.pk}$"))
        expect_selected(page, zed.user, "Enrolled")
        expect(reset_button(page)).to_be_enabled()

        # Reset -> the server-rendered confirmation; Cancel first leaves everything as it was.
        reset_button(page).click()
        confirm = page.get_by_role("alertdialog", name=DIALOG_TITLE)
        expect(confirm).to_be_visible()
        expect(confirm.get_by_role("heading", level=2)).to_have_text(DIALOG_TITLE)
        expect(confirm.locator("#confirm-message")).to_have_text(DIALOG_MESSAGE)
        expect(confirm).to_contain_text("zed.target@example.com")
        confirm.get_by_role("link", name="Cancel", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/setup/two-factor/reset/\?user={zed.user.pk}$"))
        expect_selected(page, zed.user, "Enrolled")
        assert_enrolled(zed)

        reset_button(page).click()
        expect(confirm).to_be_visible()
        expect(confirm.locator("#confirm-title")).to_have_text(DIALOG_TITLE)
        expect(confirm.locator("#confirm-message")).to_have_text(DIALOG_MESSAGE)
        confirm.get_by_role("button", name="Continue", exact=True).click()
        expect(page).to_have_url(re.compile(r"/setup/two-factor/reset/$"))
        expect(page.get_by_role("status").get_by_text(ZED_RESET, exact=True)).to_be_visible()
        assert_reset(by=admin.user, whom=zed.user)
        assert errors == []
    finally:
        context.close()


def test_a_name_typed_before_the_script_loaded_is_searched_when_it_loads(page: Page, world: World):
    """A slow connection (and a CI machine under load): the combobox is in the page before
    setup.js runs, so typing first fired no search and the list never opened. Here the script is
    held back until the name is typed."""
    sign_in(page, world.admin)
    held = []
    page.route("**/static/portal2fa/setup.js", lambda route: held.append(route))
    page.goto("/setup/two-factor/reset/", wait_until="commit")
    field = page.get_by_label("User", exact=True)
    field.fill("zed.tar")
    for _ in range(100):  # the script's request, held by the route (pumped by these waits)
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    listbox = page.get_by_role("listbox", name="Matching users")
    expect(listbox.get_by_role("option")).to_have_text(
        ["Zed Target <zed.target@example.com> — Enrolled"]
    )
