"""The demo at a desk: seeded users you can sign in as without a phone (derived keys, printed with
an oathtool line), and `portal2fa demo --reset` (make demo-reset) that starts the data over."""

import re
import time
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import SecurityRole, User
from portal2fa.audit.models import AuditEvent
from portal2fa.cli import main
from portal2fa.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_PASSWORD,
    DESK_USERS,
    demo_backup_codes,
    demo_secret,
    reset_demo,
    seed_demo,
)
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.models import Authenticator, ThrottleKey
from tests.reference_totp import totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    assert seed_demo()
    return DESK_USERS


def sign_in(client, email):
    return client.post(reverse("twofactor:signin"), {"email": email, "password": DEMO_PASSWORD})


def test_an_enrolled_desk_user_signs_in_with_the_printed_key(client, demo):
    erin = "erin.enrolled@example.com"
    assert sign_in(client, erin).url == reverse("twofactor:signin-verify")
    code = totp(demo_secret(erin), time.time())  # what `oathtool --totp -b KEY` prints
    response = client.post(reverse("twofactor:signin-verify"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND and response.url == "/"


def test_the_low_codes_desk_user_has_exactly_the_printed_backup_code(client, demo):
    lars = "lars.lowcodes@example.com"
    [left] = demo_backup_codes(lars)[:1]
    assert Authenticator.objects.get(user__email=lars).backup_codes_remaining == 1
    sign_in(client, lars)
    response = client.post(reverse("twofactor:signin-verify"), {"code": left})
    assert response.status_code == HTTPStatus.FOUND


def test_demo_keys_differ_per_user_and_are_160_bits(demo):
    keys = {demo_secret(desk.email) for desk in DESK_USERS}
    assert len(keys) == len(DESK_USERS)
    assert all(re.fullmatch(r"[A-Z2-7]{32}", key) for key in keys)


def test_reset_starts_the_demo_over_and_keeps_the_keys(demo):
    before = demo_secret("erin.enrolled@example.com")
    User.objects.filter(email="nina.newstart@example.com").update(full_name="Changed")
    ThrottleKey.objects.create(key="account:someone", last_at=timezone.now())
    reset_demo()
    assert not User.objects.exists() and not AuditEvent.objects.exists()
    assert not ThrottleKey.objects.exists()
    assert counters.drift() == {}
    assert list(SecurityRole.objects.values_list("grants_setup", flat=True)) == [True]
    assert seed_demo()
    assert User.objects.get(email="nina.newstart@example.com").full_name == "Nina Newstart"
    assert demo_secret("erin.enrolled@example.com") == before


def test_reset_refuses_a_database_that_is_not_a_demo(db, make_user):
    make_user("real.person@example.com")
    with pytest.raises(RuntimeError):
        reset_demo()
    assert User.objects.filter(email="real.person@example.com").exists()


def test_demo_command_resets_and_prints_how_to_sign_in(demo, capsys):
    assert main(["demo", "--reset", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "Demo data emptied." in out and "Demo portal seeded." in out
    assert DEMO_ADMIN_EMAIL in out
    for desk in DESK_USERS:
        assert desk.email in out
    assert f"oathtool --totp -b {demo_secret('erin.enrolled@example.com')}" in out
    assert User.objects.filter(email=DEMO_ADMIN_EMAIL).count() == 1
