"""In a real Chromium, the stock host as its users meet it: Django's own login page, held at
enrollment, the QR code decoded and an independent TOTP computed, then the host's own
@login_required page; an administrator sees the user on the Overview and resets them."""

import re

import pytest
from playwright.sync_api import expect

from portal2fa.twofactor.models import Authenticator
from tests.hosts.common import BrowserProblems, enroll_in_browser, reset_in_browser

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def login_on_host_page(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_stock_host_user_enrolls_then_admin_resets(
    page, browser, live_server, policy, staff, superuser
):
    login_on_host_page(page, "sam")
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))  # held at enrollment
    page.goto("/")  # the host's own page is out of reach until the factor passes
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))

    problems = BrowserProblems(page)
    page.reload()
    enroll_in_browser(page, "sam")
    expect(page.get_by_role("heading", name="Host home of sam")).to_be_visible()
    assert Authenticator.objects.get(user=staff).confirmed_at is not None
    assert problems.seen == []  # the held pages in the host's layout loaded cleanly

    admin = browser.new_context(base_url=live_server.url).new_page()
    login_on_host_page(admin, "root")
    expect(admin.get_by_role("heading", name="Host home of root")).to_be_visible()
    admin.goto("/setup/two-factor/overview/")
    recent = admin.get_by_test_id("list-recent")
    expect(recent).to_contain_text("Sam Staff")
    expect(recent).to_contain_text("sam@example.org")
    admin.get_by_role("link", name="Reset Enrollment").click()
    reset_in_browser(admin, "sam")
    assert not Authenticator.objects.filter(user=staff).exists()
    admin.context.close()
