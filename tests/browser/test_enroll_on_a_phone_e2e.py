"""Enrolling on a phone, in Chromium at 390 px: "Open in authenticator app" (the otpauth:// link),
"Copy key" beside the manual key, and on a touch screen the passkey offered first (moved in the
document, so the tab order follows); a desktop keeps the app first. Every state axe-clean."""

import re
import urllib.parse

import pytest
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import TwoFactorSettings

from .test_a11y import PHONE, Audit, password_step
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_a11y import people as people  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


@pytest.fixture
def phone(browser, live_server, axe_source):
    """A touch phone: coarse pointer, 390 px wide, the clipboard allowed."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, has_touch=True, is_mobile=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def headings(page: Page) -> list[str]:
    found = page.locator("[data-enroll-options] h2")
    expect(found).to_have_count(2)  # the page is shown, not only its address (a loaded machine)
    return found.all_inner_texts()


def test_on_a_touch_phone_the_passkey_comes_first_and_the_key_opens_or_copies(
    phone: Page, axe_source, people
):
    audit = Audit(phone, axe_source)
    password_step(phone, people.nora.email)
    expect(phone).to_have_url(re.compile(r"/signin/enroll/$"))
    assert phone.evaluate("matchMedia('(pointer: coarse)').matches")
    expect(phone.locator("[data-enroll-options]")).to_have_class(re.compile("passkey-first"))
    assert headings(phone) == ["Use a passkey or security key", "Or use an authenticator app"]
    # the passkey's field comes before the app's in the tab order, as on the screen
    first = phone.locator("[data-enroll-options] input:not([type=hidden])").first
    expect(first).to_have_attribute("name", "name")
    link = phone.get_by_role("link", name="Open in authenticator app")
    uri = urllib.parse.unquote(link.get_attribute("href"))
    key = phone.get_by_test_id("manual-key").inner_text().replace(" ", "")
    assert uri.startswith("otpauth://totp/") and f"secret={key}" in uri
    phone.get_by_role("button", name="Copy key", exact=True).click()
    expect(phone.get_by_text("Key copied.")).to_be_visible()
    assert phone.evaluate("navigator.clipboard.readText()") == key
    audit("enroll-on-a-phone-passkey-first")
    audit.assert_clean(1)


def test_on_a_desktop_the_app_stays_first_with_the_link_and_copy_button(
    page: Page, audit: Audit, people
):
    password_step(page, people.nora.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    assert headings(page) == ["Use an authenticator app", "Or use a passkey or security key"]
    expect(page.get_by_role("link", name="Open in authenticator app")).to_be_visible()
    audit("enroll-desktop-with-app-link")
    audit.assert_clean(1)
