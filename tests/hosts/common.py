"""What every third-party test host shares: Django's own User and Groups, the 2FA policy on, a
Staff group requiring 2FA, and the browser steps a user of any host takes (enroll by decoding the
QR code, an administrator's reset). Each host's conftest imports the fixtures it uses."""

import io
import os
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from portal2fa.twofactor.models import GroupRole, TwoFactorSettings
from tests.reference_totp import totp

PASSWORD = "correct horse battery staple"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread


@pytest.fixture(autouse=True)
def dashboard_counted_on_every_load(settings):
    """The tests change users between two Overview loads (PORTAL2FA_DASHBOARD_SECONDS)."""
    settings.PORTAL2FA_DASHBOARD_SECONDS = 0


@pytest.fixture
def client():
    """Like a browser: its requests accept HTML (a request that does not is an API call)."""
    return Client(headers={"Accept": "text/html"})


@pytest.fixture
def policy(db):
    TwoFactorSettings.objects.filter(pk=1).update(enabled=True)
    return TwoFactorSettings.objects.get(pk=1)


@pytest.fixture
def staff_group(db):
    group = Group.objects.create(name="Staff")
    GroupRole.objects.create(group=group, type="Employee", requires_2fa=True)
    return group


@pytest.fixture
def make_user(db):
    def make(username, *, groups=(), superuser=False, email=None, **extra):
        maker = User.objects.create_superuser if superuser else User.objects.create_user
        email = email or f"{username}@example.org"
        user = maker(username=username, email=email, password=PASSWORD, **extra)
        user.groups.set(groups)
        return user

    return make


@pytest.fixture
def staff(make_user, staff_group):
    return make_user("sam", groups=[staff_group], first_name="Sam", last_name="Staff")


@pytest.fixture
def superuser(make_user):
    return make_user("root", superuser=True, first_name="Rita", last_name="Root")


def manual_key(response) -> str:
    match = re.search(r'data-testid="manual-key"[^>]*>([^<]+)<', response.content.decode())
    assert match, "no manual key on the page"
    return match.group(1).replace(" ", "").strip()


def enroll_through_pages(client) -> str:
    """Held at enrollment: read the key the page shows, confirm with a code. Returns the secret."""
    page = client.get(reverse("twofactor:signin-enroll"))
    assert page.status_code == 200
    secret = manual_key(page)
    response = client.post(
        reverse("twofactor:signin-enroll"), {"code": totp(secret, time.time())}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("twofactor:account-codes")
    assert b'data-testid="backup-codes"' in response.content
    saved = client.post(reverse("twofactor:account-codes"))  # "I have saved my codes"
    assert saved.status_code in (302, 303)
    return secret


class BrowserProblems:
    """Console errors, script errors and failed requests of a page: what a host's script printing
    a 401 JSON as text, or a missing translation catalogue, leaves. The browser's own guess at
    /favicon.ico (no page asks for it) is not one of them."""

    def __init__(self, page):
        self.seen = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(str(error)))
        page.on("response", self._response)

    def _console(self, message):
        # A failed load is recorded with its address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.seen.append(message.text)

    def _response(self, response):
        if response.status >= 400 and "/favicon.ico" not in response.url:
            self.seen.append(f"{response.status} {response.url}")


def enroll_in_browser(page, username: str) -> str:
    """On the enrollment page: decode the QR code, confirm with an independent TOTP, pass the
    backup codes. Returns the secret."""
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import expect

    png = page.locator('[data-testid="qr"] svg').screenshot()
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    uri = urlparse(decoded.text)
    assert uri.scheme == "otpauth" and uri.path.endswith(f":{username}@example.org")
    secret = parse_qs(uri.query)["secret"][0]
    page.get_by_label("Authenticator code", exact=True).fill(totp(secret, time.time()))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_test_id("backup-codes")).to_be_visible()
    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    return secret


def reset_in_browser(admin, name: str) -> None:
    """An administrator on the Reset Enrollment tab resets the user found by `name`."""
    from playwright.sync_api import expect

    admin.goto("/setup/two-factor/reset/")
    field = admin.get_by_role("combobox", name="User")
    field.fill(name)
    expect(admin.get_by_role("option")).to_have_count(1)
    field.press("ArrowDown")
    field.press("Enter")
    admin.get_by_role("button", name="Reset", exact=True).click()
    dialog = admin.get_by_role("dialog", name="Reset User Enrollment?")
    dialog.get_by_role("button", name="Continue", exact=True).click()
    expect(admin.locator(".toast")).to_contain_text("has been reset")
