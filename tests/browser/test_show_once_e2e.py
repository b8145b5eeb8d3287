"""Show-once backup codes in a real Chromium, with slowed responses (issue 8): a double click, a
lost response, a reload and a second tab never lose the codes, never sign the user out and never
show Django's raw "CSRF verification failed" page."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal2fa.twofactor import keys
from portal2fa.twofactor.models import Authenticator, BackupCode, TwoFactorSettings

from ..conftest import PASSWORD
from ..reference_totp import totp
from .test_enrollment_e2e import sign_in_with_password

CODES_URL = re.compile(r"/account/two-factor/backup-codes/new/$")


@pytest.fixture
def strict_policy(transactional_db) -> TwoFactorSettings:
    policy, _ = TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enrollment_required": True}
    )
    return policy


class SlowPosts:
    """POSTs to one path reach the server at once; their answers are held back until release()
    (as on a slow network), or lost (lose_first: the first answer never arrives)."""

    def __init__(self, page: Page, path: str, *, lose_first: bool = False):
        self.page, self.lose_first = page, lose_first
        self.held: list = []
        self.served: list[int] = []
        page.route(re.compile(re.escape(path) + r"$"), self._handle)

    def _handle(self, route):
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        self.served.append(response.status)
        if self.lose_first and len(self.served) == 1:
            route.abort("connectionreset")
            return
        self.held.append((route, response))

    def wait_for(self, count: int) -> None:
        for _ in range(100):
            if len(self.served) >= count:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"{count} requests expected, {len(self.served)} served")

    def release(self) -> None:
        for route, response in self.held:
            try:
                route.fulfill(response=response)
            except Exception:  # the browser gave up on this request (the newer click replaced it)
                pass
        self.held.clear()


def double_click(page: Page, name: str, slow: "SlowPosts") -> None:
    """An impatient double click on a slow page: the second click before the first answer."""
    box = page.get_by_role("button", name=name, exact=True).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    slow.wait_for(1)
    page.mouse.click(x, y)
    slow.wait_for(2)
    slow.release()


def shown_codes(page: Page) -> list[str]:
    expect(page).to_have_url(CODES_URL)
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    items = page.get_by_test_id("backup-codes").get_by_role("listitem")
    expect(items).to_have_count(10)
    return [text.strip() for text in items.all_inner_texts()]


def assert_current_set(user, codes: list[str]) -> None:
    """The codes on screen are exactly the user's current, unused set."""
    authenticator = Authenticator.objects.get(user=user)
    digests = set(
        BackupCode.objects.filter(authenticator=authenticator, used_at=None).values_list(
            "digest", flat=True
        )
    )
    assert {keys.backup_code_digest(code.replace("-", "")) for code in codes} == digests


def assert_not_djangos_csrf_page(page: Page) -> None:
    expect(page.get_by_text("CSRF verification failed")).to_have_count(0)


def _enroll_page(page: Page, user) -> str:
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    return page.get_by_test_id("manual-key").inner_text().replace(" ", "")


def test_double_click_on_confirm_at_signin_shows_the_codes_signed_in(
    page: Page, strict_policy, make_user
):
    user = make_user("dora@example.com", name="Dora Double")
    secret = _enroll_page(page, user)
    slow = SlowPosts(page, "/signin/enroll/")
    page.get_by_label("Authenticator code", exact=True).fill(totp(secret, time.time()))
    double_click(page, "Confirm", slow)
    codes = shown_codes(page)
    assert len(slow.served) == 2, slow.served  # both clicks reached the server
    assert_current_set(user, codes)
    page.reload()  # a reload is a GET: the same codes
    assert shown_codes(page) == codes
    page.go_back()
    page.go_forward()
    assert shown_codes(page) == codes
    assert_not_djangos_csrf_page(page)
    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_a_lost_confirm_response_then_resubmit_lands_on_the_same_codes(
    page: Page, strict_policy, make_user
):
    user = make_user("lola@example.com", name="Lola Lost")
    secret = _enroll_page(page, user)
    slow = SlowPosts(page, "/signin/enroll/", lose_first=True)
    code = totp(secret, time.time())
    page.get_by_label("Authenticator code", exact=True).fill(code)
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page).not_to_have_url(CODES_URL)  # the network lost the answer
    page.go_back()  # the form again (not cached: the browser asks the server)
    if page.get_by_label("Authenticator code", exact=True).count():
        page.get_by_label("Authenticator code", exact=True).fill(code)
        page.get_by_role("button", name="Confirm", exact=True).click()
    codes = shown_codes(page)
    assert slow.served[0] == 303
    assert_current_set(user, codes)
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_double_click_on_generate_new_backup_codes_keeps_the_shown_set(
    page: Page, strict_policy, make_user, enroll
):
    user = make_user("gene@example.com", name="Gene Generate")
    enrolled = enroll(user)
    sign_in_with_password(page, user.email)
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.goto("/account/two-factor/")
    page.get_by_role("button", name="Generate new backup codes", exact=True).click()  # the dialog
    expect(page.get_by_role("alertdialog")).to_be_visible()
    slow = SlowPosts(page, "/account/two-factor/backup-codes/")
    page.get_by_label("Authenticator code", exact=True).fill(
        totp(enrolled.secret, time.time() + 30)
    )
    double_click(page, "Generate new backup codes", slow)
    codes = shown_codes(page)
    assert len(slow.served) == 2, slow.served
    assert_current_set(user, codes)
    expect(page.get_by_text("This code was already used.")).to_have_count(0)
    page.reload()
    assert shown_codes(page) == codes
    assert_not_djangos_csrf_page(page)


def test_double_click_on_verify_lands_signed_in(page: Page, strict_policy, make_user, enroll):
    user = make_user("vera@example.com", name="Vera Verify")
    enrolled = enroll(user)
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    slow = SlowPosts(page, "/signin/verify/?method=app")  # the code form's own action
    page.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    double_click(page, "Verify", slow)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name=f"Welcome, {user.full_name}")).to_be_visible()
    assert len(slow.served) == 2, slow.served


def test_signing_in_from_a_second_tab_never_shows_djangos_csrf_page(
    page: Page, strict_policy, make_user, enroll
):
    user = make_user("tabby@example.com", name="Tabby Tabs")
    enrolled = enroll(user)
    page.goto("/signin/")  # tab 1: the sign-in form, left open
    second = page.context.new_page()
    sign_in_with_password(second, user.email)  # tab 2 signs in: the CSRF token rotates
    second.get_by_label("Code", exact=True).fill(totp(enrolled.secret, time.time()))
    second.get_by_role("button", name="Verify", exact=True).click()
    expect(second.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert_not_djangos_csrf_page(page)
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    page.get_by_role("link", name="Start again").click()
    expect(page).to_have_url(re.compile(r"/$"))  # already signed in: home
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
