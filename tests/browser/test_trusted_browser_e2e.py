"""End to end in a real Chromium (issue 10): trust a browser, sign in again without the second
factor, a second user on the same browser is not trusted, revoke it, sign in again with it."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import Enforcement, TrustedBrowser, TwoFactorSettings

from ..reference_totp import totp
from .test_enrollment_e2e import (
    assert_no_console_errors,
    expect_signed_in_home,
    sign_in_with_password,
    sign_out,
    submit_code,
)

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
