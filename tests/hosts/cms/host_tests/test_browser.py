"""In a real Chromium, the django CMS site as its editors meet it: the admin's login page, held at
enrollment in the site's admin layout (its JavaScript catalogue and scripts load without an
error) although the CMS's page route catches every path, the QR code decoded, the page tree
reached; an administrator resets the editor, who enrolls again."""

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


def sign_in_through_the_admin(page, username):
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_cms_editor_enrolls_reaches_the_page_tree_is_reset_and_enrolls_again(
    context, live_server, policy, editor, superuser, home_page, settings
):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0  # the reset's end of the session seen at once
    page = context.new_page()
    problems = BrowserProblems(page)
    sign_in_through_the_admin(page, "sam")
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))  # held at enrollment
    expect(page.locator("[data-host-greeting]")).to_have_text("Welcome")  # the site's script ran
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/")  # the CMS's pages are out of reach until the factor passes
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    assert problems.seen == []  # the admin's catalogue, scripts and the 2FA assets all loaded

    enroll_in_browser(page, "sam")  # then on to the page it asked for last: the CMS's home
    expect(page.get_by_role("banner")).to_have_text("CMS host")
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/cms/pagecontent/")
    expect(page).to_have_url(re.compile(r"/admin/cms/pagecontent/"))
    assert Authenticator.objects.get(user=editor).confirmed_at is not None

    admin = context.browser.new_context(base_url=live_server.url)
    admin_page = admin.new_page()
    sign_in_through_the_admin(admin_page, "root")  # no role requiring 2FA: straight in
    expect(admin_page.get_by_role("heading", name="Site administration")).to_be_visible()
    reset_in_browser(admin_page, "sam")
    admin.close()
    assert not Authenticator.objects.filter(user=editor).exists()

    sign_in_through_the_admin(page, "sam")  # the reset ended the session: the admin's login
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    enroll_in_browser(page, "sam")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert problems.seen == []
