"""Passkeys end to end in a real Chromium with its virtual authenticator (DevTools protocol,
WebAuthn domain, through Playwright's CDP session): register two keys on the personal page, sign
in with each, remove one, and a cloned credential (a replayed sign counter) refused.

One virtual authenticator holds one key at a time: "taking a key" replaces the authenticator by
a new one holding that key's credential (exported with WebAuthn.getCredentials), as a user would
plug in one security key or another. The browser then must pick the right credential itself.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import (
    Authenticator,
    SignInChallenge,
    TwoFactorSettings,
    WebAuthnCredential,
)

from ..conftest import PASSWORD
from ..reference_totp import totp
from .test_a11y import try_another_way


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    """Passkeys need the Settings tab's switch (off on a fresh install)."""
    from portal2fa.twofactor.models import TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


class VirtualKeys:
    def __init__(self, page: Page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.current = None

    def fresh(self) -> None:
        if self.current:
            self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.current})
        self.current = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR}
        )["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.current})[
            "credentials"
        ]

    def take(self, credential: dict) -> None:
        self.fresh()
        self.cdp.send(
            "WebAuthn.addCredential", {"authenticatorId": self.current, "credential": credential}
        )


@pytest.fixture
def browser_policy(transactional_db) -> TwoFactorSettings:
    policy, _ = TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enrollment_required": True, "max_invalid_attempts": 5}
    )
    return policy


def sign_in_with_password(page: Page, email: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/$"))


def expect_signed_in(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def add_key(page: Page, name: str, code: str) -> None:
    page.goto("/account/two-factor/")
    page.get_by_role("link", name="Add a passkey or security key", exact=True).click()
    page.get_by_label("Key name", exact=True).fill(name)
    page.get_by_label("Current code", exact=True).fill(code)
    page.get_by_role("button", name="Add passkey or security key", exact=True).click()
    expect(page.get_by_text(f"The key “{name}” was added.")).to_be_visible()


def sign_in_with_passkey(page: Page, email: str) -> None:
    sign_in_with_password(page, email)
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()


def test_two_keys_sign_in_with_each_remove_one_and_a_clone_refused(
    page: Page, transactional_db, browser_policy, make_user, enroll
):
    user = make_user("pia@example.com", name="Pia Passkey")
    enrolled = enroll(user)
    keys = VirtualKeys(page)

    # Signed in with the authenticator app, then two keys, each after a backup code.
    sign_in_with_password(page, user.email)
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect_signed_in(page)

    keys.fresh()
    add_key(page, "Laptop key", enrolled.backup_codes[0])
    [laptop] = keys.credentials()
    keys.fresh()
    add_key(page, "Blue key", enrolled.backup_codes[1])
    [blue] = keys.credentials()
    expect(page.get_by_test_id("passkey")).to_have_count(2)
    stored = {c.name: c for c in WebAuthnCredential.objects.filter(user=user)}
    assert set(stored) == {"Laptop key", "Blue key"}
    assert AuditEvent.objects.filter(action=Action.PASSKEY_ADDED).count() == 2

    # Sign in with each key: the token completes like a code, the key's counter grows.
    for name, credential in (("Laptop key", laptop), ("Blue key", blue)):
        sign_out(page)
        keys.take(credential)
        sign_in_with_passkey(page, user.email)
        expect_signed_in(page)
        key = WebAuthnCredential.objects.get(name=name)
        assert key.last_used_at is not None and key.sign_count > stored[name].sign_count
    assert (
        AuditEvent.objects.filter(action=Action.SIGNIN_SUCCEEDED, detail__factor="passkey").count()
        == 2
    )

    # Remove the laptop key: it no longer signs in.
    page.goto("/account/two-factor/")
    page.get_by_role("button", name="Remove Laptop key", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Remove the key “Laptop key”?")
    expect(dialog).to_be_visible()  # it names what goes and asks for a current second factor
    dialog.get_by_label("Code", exact=True).fill(enrolled.backup_codes[2])
    dialog.get_by_role("button", name="Remove “Laptop key”", exact=True).click()
    expect(page.get_by_text("The key “Laptop key” was removed.")).to_be_visible()
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Blue key"]
    sign_out(page)
    keys.take(laptop)
    sign_in_with_passkey(page, user.email)  # the browser finds no key the server still allows
    expect(
        page.get_by_text("The browser did not use a key (cancelled or timed out).")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))

    # A clone of the blue key: its counter is behind the one the server has seen.
    WebAuthnCredential.objects.filter(name="Blue key").update(sign_count=10_000)
    keys.take(blue)
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_text(re.compile("it may have been copied"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    assert AuditEvent.objects.filter(action=Action.PASSKEY_CLONE_REFUSED).count() == 1
    assert SignInChallenge.objects.filter(completed_at=None).get().failed_attempts == 1
    assert WebAuthnCredential.objects.get().sign_count == 10_000


def test_enroll_with_a_passkey_alone_then_sign_in_with_it_or_a_backup_code(
    page: Page, transactional_db, browser_policy, make_user
):
    """At the enrollment step, a key instead of the app: Enrolled, backup codes shown,
    the Overview counts it under Passkey; the next sign-ins take the key or a backup code."""
    user = make_user("kai@example.com", name="Kai Key")
    keys = VirtualKeys(page)
    keys.fresh()
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(page.get_by_role("heading", name="Or use a passkey or security key")).to_be_visible()

    # A name is needed first: the page says so, and nothing is registered.
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_text("Give the key a name")).to_be_visible()
    assert not keys.credentials()
    # the field to fix has the focus, is marked invalid and names the message (accessibility audit)
    name_field = page.get_by_label("Key name", exact=True)
    expect(name_field).to_be_focused()
    expect(name_field).to_have_attribute("aria-invalid", "true")
    expect(name_field).to_have_accessible_description(re.compile("Give the key a name"))

    page.get_by_label("Key name", exact=True).fill("Phone key")
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    items = page.get_by_test_id("backup-codes").locator("li")
    expect(items).to_have_count(10)
    codes = [c.strip() for c in items.all_inner_texts()]
    assert len(codes) == 10
    [credential] = keys.credentials()
    enrollment = Authenticator.objects.get(user=user)
    assert enrollment.confirmed_at and not enrollment.has_app and enrollment.passkeys == 1
    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    expect_signed_in(page)

    # The next sign-in asks for the key; the key signs in.
    sign_out(page)
    sign_in_with_password(page, user.email)
    expect(page.get_by_text("Use your passkey or security key.", exact=True)).to_be_visible()
    expect(page.get_by_label("Backup code", exact=True)).to_have_count(0)  # under "Try another way"
    page.get_by_role("button", name="Use a passkey or security key", exact=True).click()
    expect_signed_in(page)

    # Without the key (another device), a backup code signs in instead.
    sign_out(page)
    keys.fresh()  # an authenticator without the credential
    sign_in_with_password(page, user.email)
    try_another_way(page, "Use a backup code")
    page.get_by_label("Backup code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect_signed_in(page)
    assert keys.credentials() == [] and credential


def test_on_an_ip_address_the_page_says_passkeys_need_the_site_name(
    page: Page, transactional_db, browser_policy, make_user, live_server
):
    """Browsers refuse WebAuthn with an IP address as the relying party: the page says what to do
    instead of a failed ceremony."""
    user = make_user("ivy@example.com", name="Ivy Address")
    port = live_server.url.rsplit(":", 1)[1]
    page.goto(f"http://127.0.0.1:{port}/signin/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(page.get_by_text(f"open http://localhost:{port}/")).to_be_visible()
    expect(page.get_by_role("button", name="Use a passkey or security key")).to_be_disabled()
