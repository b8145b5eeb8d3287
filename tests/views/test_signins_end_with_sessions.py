"""Every change that ends a user's sessions ends their sign-ins in progress too, at once: someone
who passed the password step before it cannot finish with any second factor, nor keep a browser
trusted."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import (
    Enforcement,
    SignInChallenge,
    TrustedBrowser,
    TwoFactorSettings,
)
from portal2fa.twofactor.services.enrollment import enrollment_reset
from portal2fa.twofactor.services.password_change import password_change
from portal2fa.twofactor.services.trusted_browsers import signed_out_everywhere
from portal2fa.twofactor.web.trusted import COOKIE_NAME
from tests.conftest import PASSWORD
from tests.soft_authenticator import SoftAuthenticator

from .helpers import current_code, is_signed_in, sign_in

NEW_PASSWORD = "a new and rather long passphrase 42"
VERIFY = reverse("twofactor:signin-verify")
EMAIL = reverse("twofactor:signin-verify-email")
ENROLL = reverse("twofactor:signin-enroll")


@pytest.fixture(autouse=True)
def every_method(policy):
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=True,
        passkeys_allowed=True,
        enforcement=Enforcement.UNRECOGNIZED_DEVICES,
    )


def _reset(enrolled, admin_user):
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())


def _password_change_on_the_personal_page(enrolled, admin_user):
    changed = password_change(
        user=enrolled.user,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        code=enrolled.backup_codes[-1],
        at=timezone.now(),
    )
    assert changed.ok


def _password_set_by_the_host(enrolled, admin_user):
    enrolled.user.set_password(NEW_PASSWORD)
    enrolled.user.save()


def _sign_out_everywhere(enrolled, admin_user):
    signed_out_everywhere(user=enrolled.user, at=timezone.now())


def _deactivation(enrolled, admin_user):
    enrolled.user.is_active = False
    enrolled.user.save()


CHANGES = [
    _reset,
    _password_change_on_the_personal_page,
    _password_set_by_the_host,
    _sign_out_everywhere,
    _deactivation,
]


def _with_a_passkey(enrolled) -> SoftAuthenticator:
    owner = Client()
    owner.force_login(enrolled.user)
    key = SoftAuthenticator()
    started = owner.post(
        reverse("twofactor:account-passkey-options"),
        {"name": "Laptop", "code": current_code(enrolled.secret)},
    )
    assert started.status_code == HTTPStatus.OK
    done = owner.post(
        reverse("twofactor:account-passkey-add"),
        key.register(started.json()["options"]),
        content_type="application/json",
    )
    assert done.status_code == HTTPStatus.OK
    return key


def _finish_with_code(attacker, enrolled, prepared):
    return attacker.post(VERIFY, {"code": current_code(enrolled.secret), "trust_browser": "1"})


def _finish_with_backup_code(attacker, enrolled, prepared):
    return attacker.post(VERIFY, {"code": enrolled.backup_codes[0], "trust_browser": "1"})


def _prepare_email(attacker, enrolled):
    from django.core import mail

    attacker.post(EMAIL, {"send": "1"})
    return mail.outbox[-1].body.split("code is ")[1][:6]


def _finish_with_email_code(attacker, enrolled, code):
    return attacker.post(EMAIL, {"code": code, "trust_browser": "1"})


def _prepare_passkey(attacker, enrolled):
    options = attacker.post(reverse("twofactor:signin-passkey-options"))
    assert options.status_code == HTTPStatus.OK
    return options.json()["options"]


def _finish_with_passkey(attacker, enrolled, options):
    return attacker.post(
        reverse("twofactor:signin-passkey") + "?trust_browser=1",
        enrolled.key.assert_(options),
        content_type="application/json",
    )


FACTORS = {
    "code": (None, _finish_with_code),
    "backup code": (None, _finish_with_backup_code),
    "email code": (_prepare_email, _finish_with_email_code),
    "passkey": (_prepare_passkey, _finish_with_passkey),
}


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
@pytest.mark.parametrize("factor", list(FACTORS))
def test_a_sign_in_in_progress_cannot_finish_after_a_change_that_ends_sessions(
    enrolled, admin_user, change, factor
):
    enrolled.key = _with_a_passkey(enrolled)
    attacker = Client()
    assert sign_in(attacker, enrolled.user.email).url == VERIFY  # the password step passed
    prepare, finish = FACTORS[factor]
    prepared = prepare(attacker, enrolled) if prepare else None
    change(enrolled, admin_user)
    assert not SignInChallenge.objects.filter(expires_at__gt=timezone.now()).exists()
    response = finish(attacker, enrolled, prepared)
    assert response.status_code != HTTPStatus.OK or "redirect" not in response.content.decode()
    assert not is_signed_in(attacker)
    assert not TrustedBrowser.objects.exists()
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_a_trusted_browser_cookie_does_not_carry_a_sign_in_through_a_change(
    enrolled, admin_user, change
):
    attacker = Client()
    sign_in(attacker, enrolled.user.email)
    trusted = attacker.post(VERIFY, {"code": current_code(enrolled.secret), "trust_browser": "1"})
    assert COOKIE_NAME in trusted.cookies and is_signed_in(attacker)
    attacker.post(reverse("twofactor:signout"))
    # the cookie kept, a host-style login held at the second factor before the change
    attacker.force_login_held(enrolled.user)
    change(enrolled, admin_user)
    assert not TrustedBrowser.objects.exists()
    assert not is_signed_in(attacker)
    if enrolled.user.is_active and enrolled.user.check_password(PASSWORD):
        # the password still works (sign out everywhere, reset): a second factor is asked for
        assert sign_in(attacker, enrolled.user.email).url in (VERIFY, ENROLL)
        assert not is_signed_in(attacker)
