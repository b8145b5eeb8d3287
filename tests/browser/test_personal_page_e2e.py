"""The personal page on a phone (390 px), in Chromium with a virtual authenticator: the summary
line first, one list of methods with the passkey first, a removal that asks (naming the key) for
the current factor in a dialog, or removes at once after a passkey confirmation; a rename that
says what it did. Every state axe-clean, nothing scrolls sideways."""

import re

from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import WebAuthnCredential

from .test_a11y import PHONE, Audit
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_key_only_personal_e2e import confirm_with_the_passkey, enroll_with_a_key
from .test_passkeys_e2e import (  # noqa: F401 (fixtures)
    VirtualKeys,
    add_key,
    browser_policy,
    passkeys_switched_on,
)


def test_the_personal_page_on_a_phone(
    page: Page,
    audit: Audit,  # noqa: F811
    browser_policy,  # noqa: F811
    make_user,
):
    user = make_user("kim@example.com", name="Kim Key")
    keys = VirtualKeys(page)
    keys.fresh()
    codes = enroll_with_a_key(page, user.email, "Phone")
    page.set_viewport_size(PHONE)
    keys.fresh()  # a second authenticator: the browser would not register one twice
    add_key(page, "Laptop", codes[0])
    page.goto("/account/two-factor/")
    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text("You sign in with: passkey ×2 · 9 backup codes")
    first = page.get_by_test_id("methods").locator(":scope > li").first
    expect(first.get_by_role("heading", level=3)).to_have_text("Passkeys and security keys")
    audit("personal-page-summary-and-methods")

    # A rename says what it did
    page.get_by_label("New name for Laptop", exact=True).fill("Work laptop")
    page.get_by_role("button", name="Rename Laptop", exact=True).click()
    expect(page.get_by_text("The key “Laptop” is now called “Work laptop”.")).to_be_visible()

    # Remove asks first, in a dialog naming the key, for the current factor
    page.get_by_role("button", name="Remove Work laptop", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Remove the key “Work laptop”?")
    expect(dialog).to_be_visible()
    audit("personal-page-remove-dialog")
    dialog.get_by_role("button", name="Remove “Work laptop”", exact=True).click()
    expect(page.get_by_text("Enter a code.")).to_be_visible()
    expect(page.get_by_label("Backup code", exact=True)).to_be_focused()
    audit("personal-page-remove-dialog-error")
    page.get_by_role("link", name="Cancel").click()
    assert WebAuthnCredential.objects.filter(user=user).count() == 2

    # After a passkey confirmation the dialog needs no code, and removes
    confirm_with_the_passkey(page)
    page.get_by_role("button", name="Remove Work laptop", exact=True).click()
    dialog = page.get_by_role("alertdialog", name="Remove the key “Work laptop”?")
    expect(dialog.get_by_text("no code is needed")).to_be_visible()
    audit("personal-page-remove-dialog-confirmed")
    dialog.get_by_role("button", name="Remove “Work laptop”", exact=True).click()
    expect(page.get_by_text("The key “Work laptop” was removed.")).to_be_visible()
    expect(page.get_by_test_id("summary")).to_contain_text(re.compile(r"passkey ×1"))
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Phone"]
    audit.assert_clean(4)
