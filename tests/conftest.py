"""Factories as fixtures. Users are created through the services where the services exist."""

import functools
import os
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import TwoFactorSettings
from portal2fa.twofactor.services.enrollment import confirm_pending, enrollment_begin

from .reference_totp import totp

PASSWORD = "correct horse battery staple"

# tests/hosts/stock is another Django project (settings, users, fixtures): it runs on its own,
# from its folder (see the Makefile's test target).
collect_ignore_glob = ["hosts/*"]


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD)  # Argon2 once per run, not once per user


def pytest_collection_modifyitems(config, items):
    """Suites that need PostgreSQL run only on it; when required they fail instead of skipping."""
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    required = os.environ.get("PORTAL2FA_REQUIRE_POSTGRES") == "1"
    if required and not on_postgres:
        raise pytest.UsageError("PORTAL2FA_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql://...")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def force_login_passes_second_factor(monkeypatch):
    """In these tests client.force_login(user) means "signed in, second factor passed", as the
    tests written before the middleware meant it. Tests of a session held at the second factor
    sign in through the pages, or call client.force_login_held(user)."""
    from django.contrib.auth import SESSION_KEY
    from django.test import Client

    from portal2fa.twofactor.web.second_factor import VERIFIED_KEY

    held = Client.force_login

    def force_login(self, user, backend=None):
        held(self, user, backend)
        session = self.session
        session[VERIFIED_KEY] = session[SESSION_KEY]
        session.save()

    monkeypatch.setattr(Client, "force_login_held", held, raising=False)
    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def policy(db) -> TwoFactorSettings:
    """2FA switched on, defaults otherwise."""
    settings_row, _ = TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    return settings_row


@pytest.fixture
def make_role(db):
    def make(name="Staff", type=RoleType.EMPLOYEE, requires_2fa=True):
        role, _ = SecurityRole.objects.get_or_create(
            name=name, defaults={"type": type, "requires_2fa": requires_2fa}
        )
        return role

    return make


@pytest.fixture
def admin_role(db):
    return SecurityRole.objects.get(grants_setup=True)


@pytest.fixture
def make_user(db, make_role):
    counter = {"n": 0}

    def make(email=None, *, role=None, name=None, active=True):
        counter["n"] += 1
        n = counter["n"]
        return User.objects.create(
            email=email or f"user{n}@example.com",
            full_name=name or f"User {n}",
            role=role or make_role(),
            is_active=active,
            password=_password_hash(),
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice@example.com", name="Alice Example")


@dataclass
class Enrolled:
    user: User
    secret: str
    backup_codes: tuple[str, ...]

    def code(self, at: datetime) -> str:
        return totp(self.secret, at.timestamp())


@pytest.fixture
def enroll():
    """Enroll a user through the services, as if they confirmed at `at` (default: 10 minutes ago)."""

    def do(user, at=None) -> Enrolled:
        at = at or timezone.now() - timezone.timedelta(minutes=10)
        authenticator = enrollment_begin(user=user, at=at)
        secret = keys.decrypt_secret(authenticator.encrypted_secret)
        result = confirm_pending(
            authenticator, totp(secret, at.timestamp()), at=at, client_address=None
        )
        assert result.ok
        return Enrolled(user=user, secret=secret, backup_codes=result.backup_codes)

    return do


@pytest.fixture
def enrolled(user, enroll, policy) -> Enrolled:
    return enroll(user)


@pytest.fixture
def admin_user(make_user, admin_role):
    return make_user("admin@example.com", role=admin_role, name="Ada Admin")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
