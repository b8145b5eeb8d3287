"""End to end in a real Chromium (issue 10): trust a browser, sign in again without the second
factor, a second user on the same browser is not trusted, revoke it, sign in again with it. Trust
after a passkey (Chromium's virtual authenticator) and after an email code (Django's test outbox:
the live server runs in this process)."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Enforcement, TrustedBrowser, TwoFactorSettings

from ..reference_totp import totp
from .test_a11y import try_another_way
from .test_enrollment_e2e import (
    assert_no_console_errors,
    expect_signed_in_home,
    sign_in_with_password,
    sign_out,
    submit_code,
)
from .test_passkeys_e2e import VirtualKeys, add_key

TRUST_LABEL = "Trust this browser for 30 days"


@pytest.fixture
def console_errors(page: Page) -> list[tuple[str, str]]:
    """(text, url) of each console error, as test_enrollment_e2e collects them."""
    errors: list[tuple[str, str]] = []
    page.on(
        "console",
        lambda msg: (
            errors.append((msg.text, msg.location.get("url", ""))) if msg.type == "error" else None
        ),
    )
    return errors


def test_trust_skip_second_user_revoke_then_the_factor_again(
    page: Page, console_errors, transactional_db, make_user, enroll
):
    TwoFactorSettings.objects.update_or_create(
        pk=1,
        defaults={
            "enabled": True,
            "enforcement": Enforcement.UNRECOGNIZED_DEVICES,
            "trust_days": 30,
        },
    )
    alice = enroll(make_user("alice@example.com", name="Alice Trusting"))
    bob = enroll(make_user("bob@example.com", name="Bob Sharing"))

    # Alice: password, code, and "Trust this browser for 30 days"
    sign_in_with_password(page, alice.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    page.get_by_label(TRUST_LABEL, exact=True).check()
    submit_code(page, totp(alice.secret, time.time()))
    expect_signed_in_home(page, alice.user)
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal2fa_trusted")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert TrustedBrowser.objects.filter(user=alice.user).count() == 1

    # Alice again from this browser: the password only
    sign_out(page)
    sign_in_with_password(page, alice.user.email)
    expect_signed_in_home(page, alice.user)

    # Bob on the same browser is not trusted: Alice's token is not his
    sign_out(page)
    sign_in_with_password(page, bob.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    expect(page.get_by_label(TRUST_LABEL, exact=True)).not_to_be_checked()
    submit_code(page, totp(bob.secret, time.time()))
    expect_signed_in_home(page, bob.user)
    assert not TrustedBrowser.objects.filter(user=bob.user).exists()
    sign_out(page)

    # Alice is still trusted; she revokes this browser on her personal page
    sign_in_with_password(page, alice.user.email)
    expect_signed_in_home(page, alice.user)
    page.goto("/account/two-factor/")
    table = page.get_by_test_id("trusted-browsers")
    expect(table).to_contain_text("Chrome on Linux")
    table.get_by_role("button", name=re.compile(r"^Revoke Chrome on Linux")).click()
    dialog = page.get_by_role("alertdialog", name="Stop trusting “Chrome on Linux”?")
    dialog.get_by_label("Code", exact=True).fill(alice.backup_codes[1])  # sudo: the factor
    dialog.get_by_role("button", name="Revoke “Chrome on Linux”", exact=True).click()
    expect(page.get_by_text("The browser is no longer trusted.")).to_be_visible()
    expect(page.get_by_test_id("trusted-browsers")).to_have_count(0)

    # ... and the next sign-in asks for the second factor again
    sign_out_form = page.get_by_role("button", name="Sign out", exact=True)
    sign_out_form.click()
    sign_in_with_password(page, alice.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    submit_code(page, alice.backup_codes[0])  # this step's TOTP code was spent above
    expect_signed_in_home(page, alice.user)
    assert_no_console_errors(page, console_errors, refused_codes=0)


# --- trust after the other second factors: a passkey, an email code --------------------------


def _unrecognized_devices(**switches) -> None:
    defaults = {"enabled": True, "enforcement": Enforcement.UNRECOGNIZED_DEVICES, "trust_days": 30}
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={**defaults, **switches})


def _expect_trusted_after(page: Page, person, factor: str) -> None:
    """The browser got the cookie and the server a row, audited with the factor that passed;
    then signing out and in again asks only for the password."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal2fa_trusted")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert TrustedBrowser.objects.filter(user=person.user).count() == 1
    added = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_ADDED)
    assert added.detail["factor"] == factor
    sign_out(page)
    sign_in_with_password(page, person.user.email)
    expect_signed_in_home(page, person.user)  # no second factor asked
    skipped = AuditEvent.objects.filter(action=Action.SIGNIN_SUCCEEDED).latest("id")
    assert skipped.detail["second_factor"] == "skipped: trusted browser"


def test_trust_this_browser_with_a_passkey(
    page: Page, console_errors, transactional_db, make_user, enroll
):
    _unrecognized_devices(passkeys_allowed=True)
    pia = enroll(make_user("pia@example.com", name="Pia Passkey"))
    keys = VirtualKeys(page)
    keys.fresh()

    # a key added on the personal page, after a sign-in with the app (not trusting this browser)
    sign_in_with_password(page, pia.user.email)
    submit_code(page, totp(pia.secret, time.time()))
    expect_signed_in_home(page, pia.user)
    add_key(page, "Laptop key", pia.backup_codes[0])
    assert not TrustedBrowser.objects.exists()

    # password, "Trust this browser for 30 days" ticked, then the key instead of a code
    sign_out(page)
    sign_in_with_password(page, pia.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    page.get_by_label(TRUST_LABEL, exact=True).check()
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect_signed_in_home(page, pia.user)
    _expect_trusted_after(page, pia, "passkey")
    assert_no_console_errors(page, console_errors, refused_codes=0)


def test_a_passkey_without_the_box_ticked_trusts_nothing(
    page: Page, console_errors, transactional_db, make_user, enroll
):
    _unrecognized_devices(passkeys_allowed=True)
    pia = enroll(make_user("pia@example.com", name="Pia Passkey"))
    keys = VirtualKeys(page)
    keys.fresh()
    sign_in_with_password(page, pia.user.email)
    submit_code(page, totp(pia.secret, time.time()))
    add_key(page, "Laptop key", pia.backup_codes[0])
    sign_out(page)
    sign_in_with_password(page, pia.user.email)
    expect(page.get_by_label(TRUST_LABEL, exact=True)).not_to_be_checked()
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect_signed_in_home(page, pia.user)
    assert not TrustedBrowser.objects.exists()
    sign_out(page)
    sign_in_with_password(page, pia.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))  # the second factor again
    assert_no_console_errors(page, console_errors, refused_codes=0)


def test_trust_this_browser_with_an_email_code(
    page: Page, console_errors, transactional_db, make_user, enroll
):
    _unrecognized_devices(email_codes_allowed=True)
    zoe = enroll(make_user("zoe@example.com", name="Zoe Mail"))
    sign_in_with_password(page, zoe.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    try_another_way(page, "Email me a code")
    page.get_by_role("button", name="Email me a code", exact=True).click()
    expect(page.get_by_text("We sent a code to z***@example.com")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.get_by_label(TRUST_LABEL, exact=True).check()
    submit_code(page, code, label="Email code")
    expect_signed_in_home(page, zoe.user)
    _expect_trusted_after(page, zoe, "email")
    assert len(mail.outbox) == 1  # the second sign-in sent nothing
    assert_no_console_errors(page, console_errors, refused_codes=0)
