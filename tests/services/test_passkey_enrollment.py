"""Enrollment with a passkey alone: Enrolled with backup codes, counted by the Overview
under its method, signed in; refused where the roles forbid passkeys; the last factor cannot be
removed; a reset removes it all. Keys are a software authenticator verified through py_webauthn."""

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.machinery.policy import NextStep, next_step
from portal2fa.twofactor.models import (
    Authenticator,
    EnrollmentState,
    SignInChallenge,
    TwoFactorSettings,
    WebAuthnCredential,
)
from portal2fa.twofactor.passkeys import services, verification
from portal2fa.twofactor.passkeys.enrollment import ALREADY_ENROLLED, passkey_enroll
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_reset
from tests.reference_totp import totp
from tests.soft_authenticator import SoftAuthenticator

from .helpers import T0, later

pytestmark = pytest.mark.django_db
RP = verification.RelyingParty(id="testserver", name="Portal", origin="http://testserver")


@pytest.fixture(autouse=True)
def passkeys_on(policy):
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)


def enroll_with_key(user, *, at=T0, name="Laptop", key=None, begin=True):
    """The enrollment step: the page began a Pending app enrollment; the user picks a key."""
    token = challenge_issue(user=user, at=at)
    if begin:
        enrollment_begin(user=user, at=at)
    options, challenge = verification.registration_options(user=user, rp=RP)
    key = key or SoftAuthenticator()
    attempt = passkey_enroll(
        token=token,
        name=name,
        response=key.register(options),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )
    return attempt, key, token


def method_counts() -> dict[str, int]:
    kept = counters.totals()
    return {
        name: kept.get(name, 0)
        for name in ("enrolled", counters.METHOD_APP, counters.METHOD_PASSKEY)
    }


@pytest.mark.parametrize("begin", [True, False], ids=["pending-app-replaced", "nothing-started"])
def test_a_key_alone_enrolls_issues_codes_and_completes_the_sign_in(user, begin):
    attempt, key, token = enroll_with_key(user, begin=begin)
    assert attempt.ok and len(attempt.backup_codes) == 10
    enrollment = Authenticator.objects.get(user=user)
    assert enrollment.state is EnrollmentState.ENROLLED
    assert not enrollment.has_app and enrollment.encrypted_secret == ""  # no app secret kept
    assert enrollment.passkeys == 1 and enrollment.backup_codes_remaining == 10
    assert WebAuthnCredential.objects.get(user=user).name == "Laptop"
    assert SignInChallenge.objects.get(user=user).completed_at == T0
    assert next_step(user, TwoFactorSettings.objects.get(pk=1)) is NextStep.VERIFY
    assert method_counts() == {"enrolled": 1, "method:totp": 0, "method:passkey": 1}
    assert counters.drift() == {}
    actions = list(AuditEvent.objects.filter(target_id=user.pk).values_list("action", flat=True))
    assert Action.ENROLLMENT_COMPLETED in actions and Action.PASSKEY_ADDED in actions
    completed = AuditEvent.objects.get(action=Action.ENROLLMENT_COMPLETED)
    assert completed.detail["method"] == "passkey"


def test_the_key_and_backup_codes_sign_in_but_no_six_digit_code_does(user):
    attempt, key, _ = enroll_with_key(user)
    at = later(minutes=5)
    token = challenge_issue(user=user, at=at)
    options, challenge = verification.authentication_options(user=user, rp=RP)
    signed = services.challenge_passkey_attempt(
        token=token, response=key.assert_(options), expected_challenge=challenge, rp=RP, at=at
    )
    assert signed.ok
    # No app secret: any 6 digits are simply wrong (the former Pending secret's codes included)
    token = challenge_issue(user=user, at=later(minutes=6))
    refused = challenge_attempt(token=token, code="123456", at=later(minutes=6))
    assert not refused.ok
    backup = challenge_attempt(token=token, code=attempt.backup_codes[0], at=later(minutes=6))
    assert backup.ok and backup.used_backup_code


def test_refused_where_a_role_forbids_passkeys(user, make_role):
    role = user.role
    role.second_factor_methods = ["email"]
    role.save()
    with pytest.raises(verification.PasskeyError, match="not allowed"):
        enroll_with_key(user)
    enrollment = Authenticator.objects.get(user=user)
    assert enrollment.state is EnrollmentState.PENDING and enrollment.has_app  # untouched
    assert not WebAuthnCredential.objects.exists()
    assert counters.drift() == {}


def test_an_enrolled_user_cannot_enroll_again_with_a_key(user, enroll):
    enroll(user, at=T0)
    attempt, _, _ = enroll_with_key(user, at=later(minutes=1))
    assert not attempt.ok and attempt.message == ALREADY_ENROLLED
    assert not WebAuthnCredential.objects.exists()
    assert Authenticator.objects.get(user=user).has_app


def test_a_spent_token_cannot_enroll(user):
    token = challenge_issue(user=user, at=T0)
    SignInChallenge.objects.update(completed_at=T0)
    options, challenge = verification.registration_options(user=user, rp=RP)
    attempt = passkey_enroll(
        token=token,
        name="Laptop",
        response=SoftAuthenticator().register(options),
        expected_challenge=challenge,
        rp=RP,
        at=T0,
    )
    assert not attempt.ok
    assert not Authenticator.objects.filter(user=user).exists()


def test_the_only_key_cannot_be_removed_but_one_of_two_can(user):
    attempt, _, _ = enroll_with_key(user)
    backup = attempt.backup_codes
    first = WebAuthnCredential.objects.get(user=user)
    with pytest.raises(verification.PasskeyError, match="only passkey"):
        services.passkey_remove(user=user, pk=first.pk, at=later(minutes=1), code=backup[0])
    assert Authenticator.objects.get(user=user).backup_codes_remaining == len(backup)  # unspent
    assert WebAuthnCredential.objects.filter(pk=first.pk).exists()
    options, challenge = verification.registration_options(user=user, rp=RP)
    services.passkey_register(
        user=user,
        name="Phone",
        response=SoftAuthenticator().register(options),
        expected_challenge=challenge,
        rp=RP,
        at=later(minutes=2),
    )
    assert Authenticator.objects.get(user=user).passkeys == 2
    services.passkey_remove(user=user, pk=first.pk, at=later(minutes=3), code=backup[1])
    assert Authenticator.objects.get(user=user).passkeys == 1
    assert method_counts()["method:passkey"] == 1 and counters.drift() == {}


def test_keys_of_an_app_user_move_the_method_breakdown(enrolled):
    assert method_counts() == {"enrolled": 1, "method:totp": 1, "method:passkey": 0}
    at = later(minutes=1)
    assert services.passkey_step_up(
        user=enrolled.user, code=totp(enrolled.secret, at.timestamp()), at=at
    ).ok
    options, challenge = verification.registration_options(user=enrolled.user, rp=RP)
    credential = services.passkey_register(
        user=enrolled.user,
        name="Key",
        response=SoftAuthenticator().register(options),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )
    assert method_counts() == {"enrolled": 1, "method:totp": 1, "method:passkey": 1}
    services.passkey_remove(  # the app left
        user=enrolled.user, pk=credential.pk, at=later(minutes=2), code=enrolled.backup_codes[0]
    )
    assert method_counts() == {"enrolled": 1, "method:totp": 1, "method:passkey": 0}
    assert counters.drift() == {}


def test_deactivation_and_reset_take_the_key_enrollment_out_of_every_count(user, admin_user):
    enroll_with_key(user)
    user.is_active = False
    user.save()
    assert method_counts() == {"enrolled": 0, "method:totp": 0, "method:passkey": 0}
    user.is_active = True
    user.save()
    assert method_counts() == {"enrolled": 1, "method:totp": 0, "method:passkey": 1}
    removed = enrollment_reset(actor=admin_user, user=user, at=later(minutes=1))
    assert str(removed) == (
        "Removed: no authenticator app, 10 unused backup codes, 1 passkey or security key, 0 "
        "trusted browsers."
    )
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert method_counts() == {"enrolled": 0, "method:totp": 0, "method:passkey": 0}
    assert counters.drift() == {}
