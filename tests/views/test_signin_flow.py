"""Sign-in: the password step, when 2FA applies, and the code step."""

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import SignInChallenge, TwoFactorSettings

from .helpers import is_signed_in, sign_in, text, wrong_code

INVALID = "The email or password is incorrect."
THROTTLED = "Too many failed sign-in attempts."
LOCKED = "Too many invalid attempts. Start a new sign-in."


# --- password step -----------------------------------------------------------------------------


@pytest.mark.parametrize("email,password", [("nobody@example.com", "whatever"), (None, "wrong")])
def test_wrong_credentials_get_one_generic_message(client, user, email, password):
    response = sign_in(client, email or user.email, password)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert INVALID in text(response)
    assert not is_signed_in(client)


def test_inactive_user_cannot_sign_in(client, make_user, policy):
    inactive = make_user("gone@example.com", active=False)
    response = sign_in(client, inactive.email)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert INVALID in text(response)
    assert not is_signed_in(client)


def test_failures_are_throttled_per_account(client, user, settings):
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 3
    for n in range(3):  # each failure from its own address: only the account limit applies
        response = sign_in(client, user.email, "wrong", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert INVALID in text(response)
    response = sign_in(client, user.email, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert THROTTLED in text(response)
    assert not is_signed_in(client)


def test_failures_are_throttled_per_client_address(client, user, settings):
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        sign_in(client, f"guess{n}@example.com", "wrong", REMOTE_ADDR="192.0.2.7")
    response = sign_in(client, user.email, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert THROTTLED in text(response)
    # Another address is not affected (2FA is off: signed in straight away).
    response = sign_in(client, user.email, REMOTE_ADDR="192.0.2.8")
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


# --- when 2FA applies --------------------------------------------------------------------------


def test_2fa_off_signs_in_after_password(client, user):
    assert not TwoFactorSettings.objects.filter(enabled=True).exists()
    response = sign_in(client, user.email)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    assert is_signed_in(client)
    event = AuditEvent.objects.get(action=Action.SIGNIN_SUCCEEDED)  # every sign-in is audited
    assert (event.target, event.detail["factor"]) == (user, "password only")


def test_2fa_switched_off_signs_enrolled_user_in_after_password(client, enrolled, policy):
    TwoFactorSettings.objects.filter(pk=1).update(enabled=False)
    response = sign_in(client, enrolled.user.email)
    assert response.url == "/"
    assert is_signed_in(client)


def test_role_without_2fa_not_enrolled_signs_in_directly(client, make_user, make_role, policy):
    relaxed = make_user(role=make_role("Customers", requires_2fa=False))
    response = sign_in(client, relaxed.email)
    assert response.url == "/"
    assert is_signed_in(client)


def test_role_without_2fa_but_enrolled_voluntarily_is_challenged(
    client, make_user, make_role, enroll, policy
):
    relaxed = make_user(role=make_role("Customers", requires_2fa=False))
    enroll(relaxed)
    response = sign_in(client, relaxed.email)
    assert response.url == reverse("twofactor:signin-verify")
    assert not is_signed_in(client)


# --- the code step -----------------------------------------------------------------------------


def test_not_logged_in_between_steps_and_session_key_rotates(client, enrolled):
    sign_in(client, enrolled.user.email)
    assert not is_signed_in(client)
    before = client.cookies["sessionid"].value
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.cookies["sessionid"].value != before
    assert is_signed_in(client)


def test_totp_code_signs_in(client, enrolled):
    sign_in(client, enrolled.user.email)
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert enrolled.user.full_name in text(response)


def test_backup_code_signs_in_once_with_a_warning(client, enrolled):
    code = enrolled.backup_codes[0]
    sign_in(client, enrolled.user.email)
    verify = reverse("twofactor:signin-verify")
    response = client.post(verify, {"code": code.lower()}, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "You signed in with a backup code. It cannot be used again." in text(response)
    client.post(reverse("twofactor:signout"))
    sign_in(client, enrolled.user.email)
    response = client.post(verify, {"code": code})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This code was already used." in text(response)
    assert not is_signed_in(client)


def test_invalid_code_says_how_many_attempts_remain(client, enrolled):
    sign_in(client, enrolled.user.email)
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": wrong_code(enrolled.secret)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code. 4 attempts remaining." in text(response)


def test_lockout_refuses_even_the_right_code_until_a_fresh_sign_in(client, enrolled):
    TwoFactorSettings.objects.filter(pk=1).update(max_invalid_attempts=3)
    verify = reverse("twofactor:signin-verify")
    sign_in(client, enrolled.user.email)
    bad = wrong_code(enrolled.secret)
    client.post(verify, {"code": bad})
    assert "1 attempt remaining." in text(client.post(verify, {"code": bad}))
    response = client.post(verify, {"code": bad})
    assert LOCKED in text(response)
    response = client.post(verify, {"code": enrolled.code(timezone.now())})
    assert response.status_code == HTTPStatus.FORBIDDEN  # refused on the locked token
    assert LOCKED in text(response)
    assert LOCKED in text(client.get(verify))
    assert not is_signed_in(client)
    challenge = SignInChallenge.objects.get(user=enrolled.user)
    assert challenge.failed_attempts == 3 and challenge.completed_at is None
    # A fresh sign-in issues a new token with its counter at zero.
    sign_in(client, enrolled.user.email)
    response = client.post(verify, {"code": enrolled.code(timezone.now())})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_expired_sign_in_restarts(client, enrolled):
    sign_in(client, enrolled.user.email)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        code = enrolled.code(timezone.now())
        response = client.post(reverse("twofactor:signin-verify"), {"code": code}, follow=True)
        assert response.redirect_chain[0][0] == reverse("twofactor:signin")
        assert "This sign-in has expired." in text(response)
        assert not is_signed_in(client)


def test_next_is_honoured(client, enrolled):
    sign_in(client, enrolled.user.email, next_url="/account/two-factor/")
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    assert response.url == reverse("twofactor:account")


def test_external_next_is_ignored(client, enrolled):
    sign_in(client, enrolled.user.email, next_url="https://evil.example/")
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"


def test_code_page_is_not_cached(client, enrolled):
    sign_in(client, enrolled.user.email)
    response = client.get(reverse("twofactor:signin-verify"))
    assert "no-store" in response["Cache-Control"]
