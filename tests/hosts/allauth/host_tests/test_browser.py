"""In a real Chromium, the django-allauth host as its users meet it: allauth's login page, held at
enrollment in the host's own layout (its translation catalogue, script and icons load without an
error), the QR code decoded, the host's admin reached; an administrator resets the user, who
enrolls again."""

import re

import pytest
from playwright.sync_api import expect

from portal2fa.twofactor.models import Authenticator
from tests.hosts.common import BrowserProblems, enroll_in_browser, reset_in_browser

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    yield context
    context.close()


def sign_in_with_allauth(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_allauth_user_enrolls_reaches_the_admin_is_reset_and_enrolls_again(
    context, live_server, policy, staff, superuser, settings
):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0  # the reset's end of the session seen at once
    staff.is_staff = True
    staff.save()
    page = context.new_page()
    problems = BrowserProblems(page)
    sign_in_with_allauth(page, "sam")
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))  # held at enrollment
    expect(page.locator("[data-host-greeting]")).to_have_text("Welcome")  # the host's script ran
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/admin/")  # the host's admin is out of reach until the factor passes
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    assert problems.seen == []  # catalogue, script, icons and the 2FA assets all loaded

    enroll_in_browser(page, "sam")  # then on to the page it asked for: the host's admin
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert Authenticator.objects.get(user=staff).confirmed_at is not None

    admin = context.browser.new_context(base_url=live_server.url)
    admin_page = admin.new_page()
    sign_in_with_allauth(admin_page, "root")  # no role requiring 2FA: straight in
    expect(admin_page.get_by_role("heading", name="Host home of root")).to_be_visible()
    reset_in_browser(admin_page, "sam")
    admin.close()
    assert not Authenticator.objects.filter(user=staff).exists()

    page.goto("/")  # the reset ended sam's session
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in_with_allauth(page, "sam")
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    enroll_in_browser(page, "sam")
    expect(page.get_by_role("heading", name="Host home of sam")).to_be_visible()
    assert problems.seen == []
