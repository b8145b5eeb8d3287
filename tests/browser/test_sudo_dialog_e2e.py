"""Sudo mode on the personal page, on a phone (390 px) in Chromium with a virtual authenticator:
every action that needs the current second factor asks for it in the one confirmation dialog (new
backup codes, a new key, an authenticator app, a removal naming what goes), a wrong code is refused
in the dialog with its message, and a rename says the new name. Every state axe-clean, nothing
scrolls sideways (the Audit fixture checks both)."""

import re
import time

from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import Authenticator, WebAuthnCredential

from ..reference_totp import totp
from .test_a11y import PHONE, Audit
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_key_only_personal_e2e import enroll_with_a_key, save_codes
from .test_passkeys_e2e import (  # noqa: F401 (fixtures)
    VirtualKeys,
    browser_policy,
    expect_signed_in,
    passkeys_switched_on,
    sign_in_with_password,
)

WRONG = "000000"


def test_codes_key_removal_and_rename_through_the_dialog(
    page: Page,
    audit: Audit,  # noqa: F811
    browser_policy,  # noqa: F811
    make_user,
    enroll,
):
    enrolled = enroll(make_user("sam@example.com", name="Sam Sudo"))
    page.set_viewport_size(PHONE)
    sign_in_with_password(page, enrolled.user.email)
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect_signed_in(page)
    page.goto("/account/two-factor/")
    expect(page.locator("main p").first).to_contain_text("You sign in with:")
    expect(page.get_by_label("Authenticator code", exact=True)).to_have_count(0)  # no code here

    # New backup codes: the dialog asks; a wrong code is refused there, the right one shows them
    page.get_by_role("button", name="Generate new backup codes", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Generate new backup codes?")
    expect(dialog).to_contain_text("Your 10 remaining backup codes stop working")
    audit("sudo-codes-dialog")
    dialog.get_by_label("Authenticator code", exact=True).fill(WRONG)
    dialog.get_by_role("button", name="Generate new backup codes", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Generate new backup codes?")
    expect(dialog.get_by_text(re.compile(r"^Invalid code\."))).to_be_visible()
    audit("sudo-codes-dialog-error")
    code = totp(enrolled.secret, time.time() + 30)  # the sign-in used this step's code
    dialog.get_by_label("Authenticator code", exact=True).fill(code)
    dialog.get_by_role("button", name="Generate new backup codes", exact=True).click()
    codes = save_codes(page)
    assert len(codes) == 10 and not set(codes) & set(enrolled.backup_codes)
    page.goto("/account/two-factor/backup-codes/new/")  # shown once: gone after saving
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))

    # A new key: the dialog asks for its name and the current factor
    VirtualKeys(page).fresh()
    page.get_by_role("link", name="Add a passkey or security key", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Add a passkey or security key")
    audit("sudo-passkey-dialog")
    dialog.get_by_label("Key name", exact=True).fill("Phone")
    dialog.get_by_label("Current code", exact=True).fill(codes[0])
    dialog.get_by_role("button", name="Add passkey or security key", exact=True).click()
    expect(page.get_by_text("The key “Phone” was added.")).to_be_visible()
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Phone"]

    # A rename says the new name
    page.get_by_label("New name for Phone", exact=True).fill("Pocket phone")
    page.get_by_role("button", name="Rename Phone", exact=True).click()
    expect(page.get_by_text("The key “Phone” is now called “Pocket phone”.")).to_be_visible()
    audit("sudo-rename-confirmed")

    # A removal names what goes and asks for the factor; nothing goes before the right code
    page.get_by_role("button", name="Remove Pocket phone", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Remove the key “Pocket phone”?")
    expect(dialog).to_contain_text("You will no longer sign in with “Pocket phone”")
    dialog.get_by_label("Code", exact=True).fill(WRONG)
    dialog.get_by_role("button", name="Remove “Pocket phone”", exact=True).click()
    expect(
        page.get_by_role("alertdialog").get_by_text(re.compile(r"Invalid code\."))
    ).to_be_visible()
    assert WebAuthnCredential.objects.count() == 1
    page.get_by_role("alertdialog").get_by_label("Code", exact=True).fill(codes[1])
    page.get_by_role("button", name="Remove “Pocket phone”", exact=True).click()
    expect(page.get_by_text("The key “Pocket phone” was removed.")).to_be_visible()
    assert not WebAuthnCredential.objects.exists()
    audit.assert_clean(4)


def test_an_app_is_set_up_through_the_dialog(
    page: Page,
    audit: Audit,  # noqa: F811
    browser_policy,  # noqa: F811
    make_user,
):
    user = make_user("kai@example.com", name="Kai Key")
    VirtualKeys(page).fresh()
    codes = enroll_with_a_key(page, user.email, "Laptop key")
    page.set_viewport_size(PHONE)
    page.goto("/account/two-factor/")
    expect(page.get_by_label("Backup code", exact=True)).to_have_count(0)  # asked in the dialog
    page.get_by_role("button", name="Set up authenticator app", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Set up an authenticator app?")
    audit("sudo-app-dialog")
    dialog.get_by_label("Backup code", exact=True).fill(codes[0])
    dialog.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/two-factor/app/$"))
    secret = page.get_by_test_id("manual-key").inner_text().replace(" ", "")
    page.get_by_label("Authenticator code", exact=True).fill(totp(secret, time.time()))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    assert Authenticator.objects.get(user=user).has_app
    audit.assert_clean(1)
