"""A user enrolled with a passkey alone, end to end in a real Chromium with its virtual
authenticator: enrolled at the sign-in's enrollment step with a key, the personal page says there
is no app; "Confirm with a passkey" lets them generate new backup codes without a code; confirmed
again, they add an authenticator app (the manual key read from the page, the code computed by
tests/reference_totp.py), and the app's next code signs them in."""

import re
import time

from playwright.sync_api import Page, expect

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.models import Authenticator, WebAuthnCredential

from ..conftest import PASSWORD
from ..reference_totp import totp
from .test_a11y import try_another_way
from .test_passkeys_e2e import (  # noqa: F401 (fixtures)
    VirtualKeys,
    browser_policy,
    passkeys_switched_on,
    sign_in_with_password,
    sign_out,
)


def enroll_with_a_key(page: Page, email: str, name: str) -> list[str]:
    """The sign-in's enrollment step with a key alone; returns the backup codes shown, saved."""
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(page.get_by_role("heading", name="Or use a passkey or security key")).to_be_visible()
    page.get_by_label("Key name", exact=True).fill(name)
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    return save_codes(page)


def save_codes(page: Page) -> list[str]:
    expect(page).to_have_url(re.compile(r"/account/two-factor/backup-codes/new/$"))
    items = page.get_by_test_id("backup-codes").locator("li")
    expect(items).to_have_count(10)  # the page is shown, not only its address (a loaded machine)
    codes = [c.strip() for c in items.all_inner_texts()]
    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    return codes


def confirm_with_the_passkey(page: Page) -> None:
    page.goto("/account/two-factor/")
    page.get_by_role("button", name="Confirm with a passkey", exact=True).click()
    expect(page.get_by_test_id("confirmed")).to_be_visible()


def test_a_key_only_user_regenerates_codes_with_the_passkey_then_adds_an_app(
    page: Page,
    transactional_db,
    browser_policy,  # noqa: F811
    make_user,
):
    user = make_user("kim@example.com", name="Kim Key")
    VirtualKeys(page).fresh()
    first_codes = enroll_with_a_key(page, user.email, "Laptop key")
    assert len(first_codes) == 10
    enrollment = Authenticator.objects.get(user=user)
    assert not enrollment.has_app and enrollment.passkeys == 1

    # The page says there is no app, and asks for no app code anywhere.
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("app-state")).to_have_text("Not set up")
    expect(page.get_by_test_id("state")).to_have_text("Enrolled")
    expect(page.get_by_text(re.compile("code from your authenticator app"))).to_have_count(0)
    expect(page.get_by_role("button", name="Generate new backup codes")).to_have_count(0)

    # Confirm with the passkey: one new set of backup codes without a code.
    confirm_with_the_passkey(page)
    page.get_by_role("button", name="Generate new backup codes", exact=True).click()
    new_codes = save_codes(page)
    assert len(new_codes) == 10 and not set(new_codes) & set(first_codes)
    regenerated = AuditEvent.objects.get(action=Action.BACKUP_CODES_REGENERATED)
    assert regenerated.detail["confirmed_with"] == "passkey"
    assert WebAuthnCredential.objects.get(user=user).sign_count >= 1
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("confirmed")).to_have_count(0)  # consumed
    expect(page.get_by_test_id("codes-remaining")).to_have_text("10")

    # Confirm again, then an authenticator app: the key read from the page, no QR scanned.
    confirm_with_the_passkey(page)
    page.get_by_role("button", name="Set up authenticator app", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/two-factor/app/$"))
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("manual-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    confirmed_at = time.time()
    page.get_by_label("Authenticator code", exact=True).fill(totp(secret, confirmed_at))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    expect(page.get_by_test_id("app-state")).to_have_count(0)
    expect(page.get_by_test_id("state")).to_have_text("Enrolled")
    # with an app, new codes are offered (its code asked in the dialog)
    expect(page.get_by_role("button", name="Generate new backup codes")).to_be_visible()
    enrollment = Authenticator.objects.get(user=user)
    assert enrollment.has_app and enrollment.passkeys == 1
    assert AuditEvent.objects.filter(action=Action.APP_ADDED, target_id=user.pk).count() == 1
    assert counters.drift() == {}

    # The app's next code signs in (the confirming step is used).
    sign_out(page)
    sign_in_with_password(page, user.email)
    try_another_way(page, "Use your authenticator app")  # the key leads
    page.get_by_label("Code", exact=True).fill(totp(secret, confirmed_at + 30))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert not page.csp_errors, page.csp_errors
