"""End to end in a real Chromium: sign in with an email code read from Django's test mail outbox
(the live server runs in this process, so mail.outbox sees what the page sent). The page states
of "Try another way" pass axe and fit a phone."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import EmailCode, TwoFactorSettings

from .test_a11y import Audit, password_step, try_another_way
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_a11y import people as people  # noqa: F401 - the fixture


@pytest.fixture
def email_codes_on(people):  # noqa: F811 - the fixture imported above
    TwoFactorSettings.objects.filter(pk=1).update(email_codes_allowed=True)
    return people


def mailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_sign_in_with_an_email_code(page: Page, audit: Audit, email_codes_on):  # noqa: F811
    zed = email_codes_on.zed
    password_step(page, zed.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    try_another_way(page, "Email me a code")
    expect(page).to_have_url(re.compile(r"/signin/verify/email/$"))
    audit("email-code-offer")
    page.get_by_role("button", name="Email me a code", exact=True).click()
    expect(page.get_by_text("We sent a code to z***@example.com")).to_be_visible()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [zed.user.email]
    audit("email-code-sent")
    page.get_by_role("button", name="Resend code", exact=True).click()  # too soon: refused
    expect(
        page.get_by_text(re.compile(r"Wait \d+ seconds before sending another code"))
    ).to_be_visible()
    assert len(mail.outbox) == 1
    page.get_by_label("Email code", exact=True).fill("000000" if mailed_code() != "000000" else "1")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text(re.compile("Invalid code"))).to_be_visible()
    audit("email-code-refused")
    page.get_by_label("Email code", exact=True).fill(mailed_code())
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert EmailCode.objects.get().used_at is not None
    audit.assert_clean(3)


def test_administrator_is_not_offered_email_codes(page: Page, email_codes_on):
    # as accounts/0006 sets the demo's Administrator (the test database was flushed since)
    role = email_codes_on.admin.user.role
    role.second_factor_methods = ["passkey"]
    role.save()
    password_step(page, email_codes_on.admin.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    expect(page.get_by_role("link", name="Email me a code")).to_have_count(0)
