"""Password hashing sized for a server: Argon2 parameters from PORTAL2FA_ARGON2, OWASP-range by
default, and older hashes (Django's m=100 MiB, p=8) upgraded at the next successful sign-in."""

import argon2
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from portal2fa.twofactor.conf import DEFAULTS
from portal2fa.twofactor.hashers import Argon2PasswordHasher

from ..conftest import PASSWORD

HASHER = "portal2fa.twofactor.hashers.Argon2PasswordHasher"


def params(encoded: str) -> tuple[int, int, int]:
    p = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    return p.time_cost, p.memory_cost, p.parallelism


def test_default_is_in_owasp_range():
    d = DEFAULTS["PORTAL2FA_ARGON2"]
    assert d["time_cost"] >= 2 and d["parallelism"] == 1
    assert 19 * 1024 <= d["memory_cost"] <= 64 * 1024


def test_the_setting_sizes_new_hashes(settings):
    settings.PASSWORD_HASHERS = [HASHER]
    settings.PORTAL2FA_ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    assert params(make_password("x")) == (2, 19456, 1)
    settings.PORTAL2FA_ARGON2 = {"time_cost": 3, "memory_cost": 12288, "parallelism": 1}
    encoded = make_password("x")
    assert params(encoded) == (3, 12288, 1)
    assert encoded.startswith("argon2$argon2id$") and check_password("x", encoded)


def test_bad_setting_is_refused(settings):
    settings.PORTAL2FA_ARGON2 = {"time_cost": 0}
    with pytest.raises(ImproperlyConfigured):
        Argon2PasswordHasher().encode("x", "saltsaltsalt")


def test_an_old_hash_is_upgraded_at_the_next_sign_in(client, settings, make_user, policy):
    user = make_user("old@example.com")
    user.password = DjangoArgon2().encode(PASSWORD, DjangoArgon2().salt())  # m=100 MiB, p=8
    user.save(update_fields=["password"])
    assert params(user.password) == (2, 102400, 8)
    settings.PASSWORD_HASHERS = [HASHER]
    settings.PORTAL2FA_ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    response = client.post(reverse("twofactor:signin"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert params(user.password) == (2, 19456, 1)
    assert check_password(PASSWORD, user.password)


def test_the_demo_uses_it():
    from portal2fa.config import settings as demo

    assert demo.PASSWORD_HASHERS[0] == HASHER
    assert demo.PORTAL2FA_ARGON2 == DEFAULTS["PORTAL2FA_ARGON2"]


def test_an_upgraded_hash_of_the_same_password_keeps_the_trusted_browsers(
    client, settings, make_user, enroll, policy
):
    """An upgrade is not a new password: a browser the user trusted stays trusted (a real change
    of the hash revokes them: tests/services/test_trusted_browsers.py)."""
    from django.utils import timezone

    from portal2fa.twofactor.models import Enforcement, TrustedBrowser, TwoFactorSettings
    from portal2fa.twofactor.services import trusted_browsers

    user = make_user("old@example.com")
    enroll(user)
    policy = TwoFactorSettings.objects.get(pk=1)
    policy.enforcement = Enforcement.UNRECOGNIZED_DEVICES
    policy.save()
    user.password = DjangoArgon2().encode(PASSWORD, DjangoArgon2().salt())
    user.save(update_fields=["password"])
    trusted_browsers.trusted_browser_grant(
        user=user,
        token=trusted_browsers.new_token(),
        user_agent="Firefox/120",
        at=timezone.now(),
        policy=policy,
        generation=0,
    )
    settings.PASSWORD_HASHERS = [HASHER]
    settings.PORTAL2FA_ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    before = user.password
    assert user.check_password(PASSWORD)  # upgrades the stored hash
    user.refresh_from_db()
    assert user.password != before and params(user.password) == (2, 19456, 1)
    assert TrustedBrowser.objects.filter(user=user).count() == 1
