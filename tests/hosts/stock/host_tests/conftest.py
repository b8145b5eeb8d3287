"""Fixtures for the stock host: Django's own User and Groups, Django's own LoginView."""

import os
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from portal2fa.twofactor.models import GroupRole, TwoFactorSettings
from tests.browser.conftest import browser  # noqa: F401  (the same Chromium fixture)
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


def host_login(client, username, password=PASSWORD, url="/accounts/login/"):
    """Django's own LoginView (or the admin's), as the host's users sign in."""
    return client.post(url, {"username": username, "password": password})


def manual_key(response) -> str:
    match = re.search(r'data-testid="manual-key"[^>]*>([^<]+)<', response.content.decode())
    assert match, "no manual key on the page"
    return match.group(1).replace(" ", "").strip()


def enroll_through_pages(client) -> str:
    """Held at enrollment: read the key the page shows, confirm with a code. Returns the secret."""
    page = client.get(reverse("twofactor:signin-enroll"))
    assert page.status_code == 200
    secret = manual_key(page)
    import time

    response = client.post(
        reverse("twofactor:signin-enroll"), {"code": totp(secret, time.time())}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("twofactor:account-codes")
    assert b'data-testid="backup-codes"' in response.content
    saved = client.post(reverse("twofactor:account-codes"))  # "I have saved my codes"
    assert saved.status_code in (302, 303)
    return secret


@pytest.fixture
def manage_permission(db):
    return Permission.objects.get(codename="manage_two_factor", content_type__app_label="twofactor")
