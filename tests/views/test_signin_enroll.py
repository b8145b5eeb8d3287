"""Enrollment during sign-in and the security headers of the sign-in pages."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from portal2fa.twofactor.models import Authenticator, BackupCode, EnrollmentState, TwoFactorSettings

from .helpers import (
    assert_no_inline_script,
    backup_codes,
    current_code,
    is_signed_in,
    manual_key,
    sign_in,
    text,
    wrong_code,
)


@pytest.fixture
def optional(policy):
    TwoFactorSettings.objects.filter(pk=1).update(enrollment_required=False)


def test_required_enrollment_shows_qr_and_key_then_codes(client, user, policy):
    response = sign_in(client, user.email)
    assert response.url == reverse("twofactor:signin-enroll")
    page = client.get(response.url)
    assert page.status_code == HTTPStatus.OK
    assert re.search(r'data-testid="qr"[^>]*>\s*<svg\b', page.content.decode())
    assert "Skip for now" not in text(page)
    key = manual_key(page)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key), key
    assert not is_signed_in(client)

    response = client.post(
        reverse("twofactor:signin-enroll"), {"code": current_code(key)}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    codes = backup_codes(response)
    assert len(codes) == policy.backup_codes_per_set
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}", c) for c in codes)
    assert "no-store" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    authenticator = Authenticator.objects.get(user=user)
    assert authenticator.state == EnrollmentState.ENROLLED
    assert BackupCode.objects.filter(authenticator=authenticator, used_at=None).count() == len(
        codes
    )
    assert is_signed_in(client)


def test_confirming_code_cannot_sign_in_again(client, user, policy):
    sign_in(client, user.email)
    code = current_code(manual_key(client.get(reverse("twofactor:signin-enroll"))))
    assert client.post(reverse("twofactor:signin-enroll"), {"code": code}).status_code == 303
    client.post(reverse("twofactor:signout"))
    assert not is_signed_in(client)

    response = sign_in(client, user.email)
    assert response.url == reverse("twofactor:signin-verify")
    response = client.post(response.url, {"code": code})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This code was already used." in text(response)
    assert not is_signed_in(client)


def test_backup_code_from_enrollment_signs_in(client, user, policy):
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    codes = backup_codes(
        client.post(reverse("twofactor:signin-enroll"), {"code": current_code(key)}, follow=True)
    )
    client.post(reverse("twofactor:signout"))
    sign_in(client, user.email)
    response = client.post(reverse("twofactor:signin-verify"), {"code": codes[3]})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_pending_secret_survives_an_abandoned_sign_in(client, user, policy):
    sign_in(client, user.email)
    first = manual_key(client.get(reverse("twofactor:signin-enroll")))
    client.cookies.clear()  # abandoned: a new browser session
    response = sign_in(client, user.email)
    assert response.url == reverse("twofactor:signin-enroll")
    assert manual_key(client.get(response.url)) == first
    assert Authenticator.objects.get(user=user).state == EnrollmentState.PENDING


def test_wrong_confirming_code_keeps_pending(client, user, policy):
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    response = client.post(reverse("twofactor:signin-enroll"), {"code": wrong_code(key)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code. 4 attempts remaining." in text(response)
    assert manual_key(response) == key
    assert Authenticator.objects.get(user=user).state == EnrollmentState.PENDING
    assert not is_signed_in(client)


def test_enrolled_user_is_sent_from_enroll_to_verify(client, enrolled):
    sign_in(client, enrolled.user.email)
    response = client.get(reverse("twofactor:signin-enroll"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("twofactor:signin-verify")


def test_optional_enrollment_can_be_skipped(client, user, optional):
    response = sign_in(client, user.email)
    assert response.url == reverse("twofactor:signin-enroll")
    page = client.get(response.url)
    assert "Skip for now" in text(page)
    response = client.post(reverse("twofactor:signin-skip"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    assert is_signed_in(client)
    # Skipping is not starting: the secret shown during this sign-in is discarded, so the user
    # stays Not Started (the Overview does not count them as Pending).
    assert not Authenticator.objects.filter(user=user).exists()


def test_optional_enrollment_can_still_be_completed(client, user, optional):
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    response = client.post(
        reverse("twofactor:signin-enroll"), {"code": current_code(key)}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert len(backup_codes(response)) == 10
    assert is_signed_in(client)


def test_required_enrollment_cannot_be_skipped(client, user, policy):
    sign_in(client, user.email)
    response = client.post(reverse("twofactor:signin-skip"), follow=True)
    assert response.redirect_chain[0][0] == reverse("twofactor:signin-enroll")
    assert "Enrollment cannot be skipped." in text(response)
    assert not is_signed_in(client)


def test_enrolled_user_cannot_skip_when_optional(client, enrolled, optional):
    sign_in(client, enrolled.user.email)
    client.post(reverse("twofactor:signin-skip"))
    assert not is_signed_in(client)


def test_skip_without_password_step_is_refused(client, user, optional):
    response = client.post(reverse("twofactor:signin-skip"), follow=True)
    assert response.redirect_chain == [(reverse("twofactor:signin"), HTTPStatus.FOUND)]
    assert "Sign in with your email and password first." in text(response)
    assert not is_signed_in(client)


def test_get_skip_is_not_allowed(client, user, optional):
    sign_in(client, user.email)
    assert client.get(reverse("twofactor:signin-skip")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not is_signed_in(client)


# --- headers -----------------------------------------------------------------------------------


def _assert_strict_csp(response):
    csp = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert_no_inline_script(response)


def test_every_page_of_the_flow_has_a_strict_csp_and_no_inline_script(client, user, policy):
    pages = [client.get(reverse("twofactor:signin"))]
    pages.append(sign_in(client, user.email, "wrong"))
    sign_in(client, user.email)
    enroll_page = client.get(reverse("twofactor:signin-enroll"))
    pages.append(enroll_page)
    codes_page = client.post(
        reverse("twofactor:signin-enroll"),
        {"code": current_code(manual_key(enroll_page))},
        follow=True,
    )
    assert backup_codes(codes_page)
    assert re.search(r'<script[^>]+src="[^"]*backup-codes\.js"', codes_page.content.decode())
    pages += [codes_page, client.get("/"), client.get(reverse("twofactor:account"))]
    client.post(reverse("twofactor:signout"))
    sign_in(client, user.email)
    pages.append(client.get(reverse("twofactor:signin-verify")))
    for page in pages:
        assert page.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
        _assert_strict_csp(page)


def test_the_code_page_cannot_finish_an_enrollment_without_showing_the_codes(client, user, policy):
    """Posting the confirming code to /signin/verify/ would enroll the user with unseen codes."""
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    response = client.post(reverse("twofactor:signin-verify"), {"code": current_code(key)})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("twofactor:signin-enroll")
    assert Authenticator.objects.get(user=user).state == EnrollmentState.PENDING
    assert not is_signed_in(client)


def test_codes_typed_with_a_space_confirm_enrollment(client, user, policy):
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    code = current_code(key)
    response = client.post(
        reverse("twofactor:signin-enroll"), {"code": f"{code[:3]} {code[3:]}"}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert len(backup_codes(response)) == policy.backup_codes_per_set


def test_a_user_deactivated_during_sign_in_is_not_signed_in(client, enrolled):
    from django.utils import timezone

    sign_in(client, enrolled.user.email)
    enrolled.user.is_active = False
    enrolled.user.save()
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    assert response.status_code == HTTPStatus.FOUND and response.url == reverse("twofactor:signin")
    assert not is_signed_in(client)


def test_a_voluntary_user_reset_mid_sign_in_is_led_to_enroll_again(
    client, make_user, make_role, enroll, policy
):
    """2FA applied only because they had enrolled; the reset notice promises re-enrollment, so
    the next sign-in continues with enrollment instead of letting the password alone through (the
    reset ended the sign-in in progress)."""
    from django.utils import timezone

    from portal2fa.twofactor.services.enrollment import enrollment_reset

    relaxed = make_user(role=make_role("Customers", requires_2fa=False))
    enroll(relaxed)
    sign_in(client, relaxed.email)
    enrollment_reset(actor=None, user=relaxed, at=timezone.now())
    response = client.get(reverse("twofactor:signin-verify"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("twofactor:signin")
    response = sign_in(client, relaxed.email)
    assert response.url == reverse("twofactor:signin-enroll")
    page = client.get(reverse("twofactor:signin-enroll"))
    assert page.status_code == HTTPStatus.OK and "Skip for now" not in text(page)
    assert Authenticator.objects.get(user=relaxed).confirmed_at is None  # a new secret, Pending
    assert not is_signed_in(client)
