"""The trusted-browser pages pass axe and fit a 390 px phone (as tests/browser/test_a11y.py)."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import Enforcement, TwoFactorSettings

from ..reference_totp import totp
from . import test_a11y as a11y


@pytest.fixture
def audit(page: Page, axe_source: str) -> a11y.Audit:
    page.set_viewport_size(a11y.DESKTOP)
    return a11y.Audit(page, axe_source)


def test_trust_offer_and_trusted_browsers_list_pass_axe(
    page: Page, audit, transactional_db, make_user, enroll
):
    TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enforcement": Enforcement.UNRECOGNIZED_DEVICES}
    )
    alice = enroll(make_user("alice@example.com", name="Alice Trusting"))
    a11y.password_step(page, alice.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    audit("verify-trust-offer")
    page.get_by_label("Code", exact=True).fill(totp(alice.secret, time.time()))
    page.get_by_label("Trust this browser for 30 days", exact=True).check()
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("trusted-browsers")).to_be_visible()
    audit("personal-page-trusted-browsers")
    audit.assert_clean(2)


def test_trust_offer_on_the_email_code_page_passes_axe(
    page: Page, audit, transactional_db, make_user, enroll
):
    TwoFactorSettings.objects.update_or_create(
        pk=1,
        defaults={
            "enabled": True,
            "enforcement": Enforcement.UNRECOGNIZED_DEVICES,
            "email_codes_allowed": True,
        },
    )
    zoe = enroll(make_user("zoe@example.com", name="Zoe Mail"))
    a11y.password_step(page, zoe.user.email)
    a11y.try_another_way(page, "Email me a code")
    page.get_by_role("button", name="Email me a code", exact=True).click()
    expect(page.get_by_label("Trust this browser for 30 days", exact=True)).to_be_visible()
    audit("email-code-trust-offer")
    audit.assert_clean(1)
