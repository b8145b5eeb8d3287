"""The verify step on a phone: the strongest method first, the others under "Try another way".
Every state passes axe and fits 390 px (the checks of test_a11y.py, reused)."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import TwoFactorSettings, WebAuthnCredential

from .test_a11y import WRONG, Audit, password_step
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_a11y import people as people  # noqa: F401 - the fixture

VERIFY_URL = re.compile(r"/signin/verify/(\?method=\w+)?$")


def start_over(page: Page) -> None:
    page.get_by_test_id("held-exit").click()
    expect(page).to_have_url(re.compile(r"/signin/$"))


def test_verify_states_pass_axe_and_fit_a_phone(page: Page, audit: Audit, people):  # noqa: F811
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)

    # An app user: the code in a numeric field, focused; the other ways folded away.
    password_step(page, people.zed.user.email)
    expect(page).to_have_url(VERIFY_URL)
    code = page.get_by_label("Code", exact=True)
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_be_focused()
    expect(page.get_by_role("link", name="Use a backup code", exact=True)).to_be_hidden()
    audit("verify-app")
    # the pattern: six digits, spaces and full-width digits allowed, five digits not
    for typed, fits in (
        ("123 456", True),
        ("１２３ ４５６", True),
        ("123-456", True),
        ("12345", False),
    ):
        code.fill(typed)
        assert code.evaluate("e => !e.validity.patternMismatch") is fits, typed

    page.get_by_text("Try another way", exact=True).click()
    expect(page.get_by_role("link", name="Use a backup code", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Use a Temporary Access Pass", exact=True)).to_be_visible()
    audit("verify-other-ways-open")

    page.get_by_role("link", name="Use a backup code", exact=True).click()
    backup = page.get_by_label("Backup code", exact=True)
    expect(backup).to_have_attribute("inputmode", "text")
    audit("verify-backup-code")
    backup.fill("ABCDE-FGHJK")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("Invalid code. 2 attempts remaining.")).to_be_visible()
    expect(page.get_by_label("Backup code", exact=True)).to_be_visible()  # the same form again
    audit("verify-refused-code")
    page.goto("/signin/verify/?method=app")
    page.get_by_label("Code", exact=True).fill(WRONG)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("Invalid code. 1 attempt remaining.")).to_be_visible()
    start_over(page)

    # A passkey user: the key first, no code field, nothing focused (no keyboard opens).
    WebAuthnCredential.objects.create(
        user=people.admin.user,
        name="Laptop",
        credential_id=b"\x07" * 32,
        public_key=b"not used here",
        created_at=timezone.now(),
    )
    password_step(page, people.admin.user.email)
    expect(page).to_have_url(VERIFY_URL)
    expect(page.get_by_role("button", name="Use a passkey or security key")).to_be_enabled()
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)
    assert page.evaluate("document.activeElement === document.body")
    audit("verify-passkey-first")
    page.get_by_text("Try another way", exact=True).click()
    page.get_by_role("link", name="Use your authenticator app", exact=True).click()
    expect(page.get_by_label("Code", exact=True)).to_be_focused()

    # the pattern compiles and no script failed (the refused codes' 400s are the only errors)
    assert [e for e in page.csp_errors if "status of 400" not in e] == [], page.csp_errors
    audit.assert_clean(5)
