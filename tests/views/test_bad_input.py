"""Hostile or broken input to every form: a 4xx with a clear message, never a 500, nothing changed."""

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from portal2fa.twofactor.models import (
    Authenticator,
    BackupCode,
    EnrollmentState,
    SignInChallenge,
    ThrottleEvent,
)

from .helpers import is_signed_in, sign_in, text

REQUIRED = "This field is required."
NOT_A_CODE = "That is not a valid code."
NULL = "Null characters are not allowed."
BAD_EMAIL = "Enter a valid email address."

# (value, message) for a code field; None means the field is left out of the POST entirely.
BAD_CODES = [
    pytest.param(None, "Enter a code.", id="missing"),
    pytest.param("", "Enter a code.", id="empty"),
    pytest.param("   ", "Enter a code.", id="blank"),
    pytest.param("7" * 10240, NOT_A_CODE, id="overlong"),
    pytest.param("ü€漢", NOT_A_CODE, id="non-ascii"),
    pytest.param("\x00", NULL, id="nul"),
    pytest.param("12\x0034", NULL, id="nul-inside"),
    pytest.param("\x1b[31m", NOT_A_CODE, id="ansi-escape"),
]


def _code_data(value):
    return {} if value is None else {"code": value}


def _state(user):
    """What a rejected code must not change: challenge counters, authenticator, codes, throttles."""
    authenticator = Authenticator.objects.filter(user=user).first()
    return {
        "challenges": list(SignInChallenge.objects.values_list("failed_attempts", "completed_at")),
        "confirmed": authenticator and authenticator.confirmed_at,
        "last_step": authenticator and authenticator.last_used_step,
        "codes": sorted(BackupCode.objects.filter(used_at=None).values_list("digest", flat=True)),
        "throttle": ThrottleEvent.objects.count(),
    }


# --- the password form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email,password,message",
    [
        pytest.param(None, None, REQUIRED, id="missing"),
        pytest.param("", "", REQUIRED, id="empty"),
        pytest.param("a" * 10230 + "@example.com", "x", "at most 254 characters", id="long-email"),
        pytest.param("alice@example.com", "x" * 10240, "at most 1024 characters", id="long-pass"),
        pytest.param("ü€漢", "x", BAD_EMAIL, id="non-ascii-email"),
        pytest.param("\x00", "x", NULL, id="nul-email"),
        pytest.param("alice@example.com", "\x00", NULL, id="nul-password"),
        pytest.param("\x1b[31m", "x", BAD_EMAIL, id="ansi-email"),
    ],
)
def test_signin_form_rejects_malformed_input_without_counting(
    client, user, email, password, message
):
    data = {} if email is None else {"email": email, "password": password}
    response = client.post(reverse("twofactor:signin"), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert ThrottleEvent.objects.count() == 0
    assert not is_signed_in(client)


@pytest.mark.parametrize("password", ["ü€漢", "\x1b[31m", "x" * 1024])
def test_odd_but_wellformed_password_is_just_a_wrong_password(client, user, password):
    response = sign_in(client, user.email, password)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The email or password is incorrect." in text(response)
    assert ThrottleEvent.objects.count() == 2  # one per account, one per address
    assert not is_signed_in(client)


# --- the code forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("value,message", BAD_CODES)
def test_verify_form_rejects_malformed_code(client, enrolled, value, message):
    sign_in(client, enrolled.user.email)
    before = _state(enrolled.user)
    response = client.post(reverse("twofactor:signin-verify"), _code_data(value))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert _state(enrolled.user) == before
    assert not is_signed_in(client)


@pytest.mark.parametrize("value,message", BAD_CODES)
def test_signin_enroll_form_rejects_malformed_code(client, user, policy, value, message):
    sign_in(client, user.email)
    client.get(reverse("twofactor:signin-enroll"))
    before = _state(user)
    response = client.post(reverse("twofactor:signin-enroll"), _code_data(value))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert _state(user) == before
    assert Authenticator.objects.get(user=user).state == EnrollmentState.PENDING
    assert not is_signed_in(client)


@pytest.mark.parametrize("value,message", BAD_CODES)
def test_account_enroll_form_rejects_malformed_code(client, user, policy, value, message):
    client.force_login(user)
    client.post(reverse("twofactor:account-enroll"), {"start": "1"}, follow=True)
    before = _state(user)
    response = client.post(reverse("twofactor:account-enroll"), _code_data(value))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert _state(user) == before
    assert Authenticator.objects.get(user=user).state == EnrollmentState.PENDING


@pytest.mark.parametrize("value,message", BAD_CODES[1:])  # no code at all: the dialog asks
def test_regenerate_form_rejects_malformed_code(client, enrolled, value, message):
    client.force_login(enrolled.user)
    before = _state(enrolled.user)
    response = client.post(reverse("twofactor:account-regenerate"), _code_data(value))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert _state(enrolled.user) == before
    assert Authenticator.objects.get(user=enrolled.user).backup_codes_remaining == 10


# --- CSRF, order of steps, methods -------------------------------------------------------------


def _csrf_client():
    return Client(enforce_csrf_checks=True)


def test_signin_without_csrf_token_is_forbidden(user):
    client = _csrf_client()
    response = sign_in(client, user.email)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not is_signed_in(client)


def test_code_step_without_csrf_token_is_forbidden(enrolled):
    client = _csrf_client()
    client.get(reverse("twofactor:signin"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("twofactor:signin"),
        {
            "email": enrolled.user.email,
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.url == reverse("twofactor:signin-verify")
    before = _state(enrolled.user)
    response = client.post(response.url, {"code": enrolled.backup_codes[0]})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _state(enrolled.user) == before
    assert not is_signed_in(client)


def test_regenerate_without_csrf_token_is_forbidden(enrolled):
    client = _csrf_client()
    client.force_login(enrolled.user)
    before = _state(enrolled.user)
    response = client.post(reverse("twofactor:account-regenerate"), {"code": "123456"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _state(enrolled.user) == before


def test_signout_without_csrf_token_is_forbidden(user):
    client = _csrf_client()
    client.force_login(user)
    assert client.post(reverse("twofactor:signout")).status_code == HTTPStatus.FORBIDDEN
    assert is_signed_in(client)


@pytest.mark.parametrize("name", ["twofactor:signin-verify", "twofactor:signin-enroll"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_code_step_without_password_step_restarts(client, enrolled, name, method):
    response = getattr(client, method)(
        reverse(name), {"code": enrolled.backup_codes[0]}, follow=True
    )
    assert response.redirect_chain == [(reverse("twofactor:signin"), HTTPStatus.FOUND)]
    assert "Sign in with your email and password first." in text(response)
    assert BackupCode.objects.filter(used_at__isnull=False).count() == 0
    assert not is_signed_in(client)


def test_get_signout_is_not_allowed(client, user):
    client.force_login(user)
    assert client.get(reverse("twofactor:signout")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert is_signed_in(client)


def test_signout_signs_out(client, user):
    client.force_login(user)
    response = client.post(reverse("twofactor:signout"), follow=True)
    assert "You have signed out." in text(response)
    assert not is_signed_in(client)


@pytest.mark.parametrize("name", ["twofactor:signin", "twofactor:signin-verify"])
def test_other_methods_are_not_allowed(client, name):
    assert client.put(reverse(name)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/signin/", "/setup/two-factor/", "/no-such-page/"])
def test_a_host_not_allowed_is_a_400_in_the_portals_layout(path):
    """Walkthrough finding: Django refuses the Host before the authentication middleware sets
    request.user; the 400 page's navigation read it, so scanners' requests were 500s."""
    response = Client(HTTP_HOST="evil.example").get(path)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_password_is_tied_to_both_fields(client, user):
    """Accessibility audit: "The email or password is incorrect." was linked to neither field."""
    response = client.post(reverse("twofactor:signin"), {"email": user.email, "password": "wrong"})
    page = response.content.decode()
    assert 'id="form-errors"' in page and "The email or password is incorrect." in page
    for name in ("email", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in field and "form-errors" in field, field
