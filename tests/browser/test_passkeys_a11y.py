"""The passkey states of the personal page and the verify page pass axe and fit a phone (the
checks of test_a11y.py, reused)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import WebAuthnCredential

from .test_a11y import WRONG, Audit, audit, password_step, people, sign_in, sign_out  # noqa: F401
from .test_passkeys_e2e import VirtualKeys


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    """Passkeys need the Settings tab's switch (off on a fresh install)."""
    from portal2fa.twofactor.models import TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


def test_passkey_states_have_no_axe_violations_and_fit_a_phone(
    page: Page,
    audit: Audit,  # noqa: F811
    people,  # noqa: F811
):

    zed = people.zed
    now = timezone.now()
    for n, name in enumerate(("Work laptop", "A security key with a rather long name for phones")):
        WebAuthnCredential.objects.create(
            user=zed.user,
            name=name,
            credential_id=bytes([n + 1]) * 32,
            public_key=b"not used here",
            created_at=now,
            last_used_at=now if n else None,
        )
    keys = VirtualKeys(page)
    keys.fresh()  # holds no credential: the browser refuses at once

    sign_in(page, zed)
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("passkey")).to_have_count(2)
    audit("personal-page-passkeys")
    page.get_by_role("link", name="Add a passkey or security key", exact=True).click()
    page.get_by_label("Key name", exact=True).fill("Phone")
    page.get_by_label("Current code", exact=True).fill(WRONG)
    page.get_by_role("button", name="Add passkey or security key", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Invalid code\."))).to_be_visible()
    audit("personal-page-passkey-error")
    sign_out(page)

    password_step(page, zed.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    audit("verify-passkey")
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_text(re.compile("The browser did not use a key"))).to_be_visible()
    audit("verify-passkey-cancelled")

    # The enrollment step of a user who has not started, with the passkey choice and its error.
    page.goto("/signin/")  # start over as Nora
    password_step(page, people.nora.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    audit("enroll-with-passkey-choice")
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_text(re.compile("Give the key a name"))).to_be_visible()
    audit("enroll-with-passkey-error")

    # A user whose role does not require 2FA: the personal page offers a key too, and it enrolls.
    page.goto("/signin/")
    password_step(page, "cora.customer@example.com")
    page.goto("/account/two-factor/")
    expect(page.get_by_role("heading", name="Or use a passkey or security key")).to_be_visible()
    audit("personal-page-enroll-with-passkey")
    page.get_by_label("Key name", exact=True).fill("Cora's laptop")
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    assert len(keys.credentials()) == 1

    audit.assert_clean(7)


def test_key_only_personal_page_states_have_no_axe_violations_and_fit_a_phone(
    page: Page,
    audit: Audit,  # noqa: F811
    people,  # noqa: F811
):
    """A user enrolled with a key alone (Olga, through the sign-in's enrollment step): the page
    without an app, a wrong backup code at the app's start, the confirmed state, the app's setup."""
    from .test_key_only_personal_e2e import confirm_with_the_passkey, enroll_with_a_key

    VirtualKeys(page).fresh()
    enroll_with_a_key(page, people.olga.email, "Laptop key")
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("app-state")).to_have_text("Not set up")
    audit("personal-page-key-only")
    page.get_by_role("button", name="Set up authenticator app", exact=True).click()
    page.get_by_label("Backup code", exact=True).fill("ABCDE-FGHJK")  # in the dialog
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Invalid code\."))).to_be_visible()
    audit("personal-page-key-only-app-start-error")
    confirm_with_the_passkey(page)
    audit("personal-page-confirmed-with-passkey")
    page.get_by_role("button", name="Set up authenticator app", exact=True).click()
    expect(page.get_by_test_id("manual-key")).to_be_visible()
    audit("personal-page-app-setup")
    audit.assert_clean(4)
