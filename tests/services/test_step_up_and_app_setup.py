"""The personal page's confirmation with a passkey (passkeys/step_up.py), what it allows (a new set
of backup codes without a code), and adding an authenticator app to an enrollment made with a key
alone (services/app_setup.py): counted on the account's code budget, the counters kept exact,
audited. Keys are a software authenticator verified through py_webauthn."""

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import counters, keys
from portal2fa.twofactor.machinery.code_budget import LOCKED_MESSAGE
from portal2fa.twofactor.machinery.step_up_grants import USED_OR_EXPIRED
from portal2fa.twofactor.models import (
    Authenticator,
    CodeGuessBudget,
    TwoFactorSettings,
    WebAuthnCredential,
)
from portal2fa.twofactor.passkeys import selectors, services, verification
from portal2fa.twofactor.passkeys.step_up import step_up_refusal, step_up_with_passkey
from portal2fa.twofactor.services.app_setup import (
    ALREADY_HAS_APP,
    EXPIRED,
    app_add,
    new_app_secret,
)
from portal2fa.twofactor.services.backup_codes import (
    NO_APP,
    backup_codes_regenerate,
    backup_codes_regenerate_confirmed,
)
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from tests.reference_totp import totp
from tests.soft_authenticator import SoftAuthenticator

from .helpers import T0, later, wrong_code
from .test_passkey_enrollment import RP, enroll_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def passkeys_on(policy):
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)


@pytest.fixture
def key_only(user):
    """A user enrolled at the sign-in's enrollment step with a key alone."""
    attempt, key, _ = enroll_with_key(user, at=T0)
    assert attempt.ok
    return user, key, attempt.backup_codes


def confirm(user, key, *, at, **assertion):
    options, challenge = verification.authentication_options(user=user, rp=RP)
    return step_up_with_passkey(
        user=user,
        response=key.assert_(options, **assertion),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )


def failures(user) -> int:
    budget = CodeGuessBudget.objects.filter(pk=user.pk).first()
    return budget.consecutive_failures if budget else 0


def lock(user) -> None:
    CodeGuessBudget.objects.update_or_create(user_id=user.pk, defaults={"locked_at": T0})


# --- confirming with a passkey ----------------------------------------------------------------------


def test_the_users_key_confirms_and_its_counter_grows(key_only):
    user, key, _ = key_only
    CodeGuessBudget.objects.create(user_id=user.pk, consecutive_failures=2)
    assert confirm(user, key, at=later(minutes=1)).ok
    credential = WebAuthnCredential.objects.get(user=user)
    assert credential.sign_count == 1 and credential.last_used_at == later(minutes=1)
    assert failures(user) == 0  # a correct factor sets the count back, as a correct code does


def test_another_key_a_tampered_answer_or_no_challenge_is_refused_and_counted(key_only):
    user, key, _ = key_only
    stranger = SoftAuthenticator()
    refused = confirm(user, stranger, at=later(minutes=1))
    assert not refused.ok and refused.message == services.NOT_ACCEPTED
    assert not confirm(user, key, at=later(minutes=2), tamper=True).ok
    options, _ = verification.authentication_options(user=user, rp=RP)
    no_challenge = step_up_with_passkey(
        user=user, response=key.assert_(options), expected_challenge=None, rp=RP, at=later(3)
    )
    assert not no_challenge.ok
    assert failures(user) == 3
    assert WebAuthnCredential.objects.get(user=user).last_used_at is None


def test_a_clone_is_refused_audited_and_counted(key_only):
    user, key, _ = key_only
    WebAuthnCredential.objects.filter(user=user).update(sign_count=50)
    refused = confirm(user, key, at=later(minutes=1))
    assert not refused.ok and refused.message == services.CLONED
    clone = AuditEvent.objects.get(action=Action.PASSKEY_CLONE_REFUSED)
    assert clone.detail == {"name": "Laptop", "stored_count": 50, "presented_count": 1}
    assert failures(user) == 1 and WebAuthnCredential.objects.get().sign_count == 50


def test_refused_failures_reach_the_accounts_lock(key_only, settings):
    user, _, _ = key_only
    settings.PORTAL2FA_CODE_FAILURES_LOCK = 3
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 10
    for n in range(3):
        result = confirm(user, SoftAuthenticator(), at=later(minutes=n + 1))
    assert not result.ok and result.locked and LOCKED_MESSAGE in result.message
    assert AuditEvent.objects.filter(action=Action.CODE_LOCKED).count() == 1


def test_no_confirmation_while_locked_where_passkeys_are_forbidden_or_without_keys(
    key_only, make_user, enroll
):
    user, key, _ = key_only
    lock(user)
    refused = confirm(user, key, at=later(minutes=1))
    assert not refused.ok and refused.locked and refused.message == LOCKED_MESSAGE
    assert WebAuthnCredential.objects.get(user=user).sign_count == 0  # not even checked
    CodeGuessBudget.objects.all().delete()
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=False)
    assert confirm(user, key, at=later(minutes=2)).message == selectors.NOT_ALLOWED
    assert failures(user) == 0
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)
    app_user = enroll(make_user("app@example.com"), at=T0).user
    assert step_up_refusal(app_user, at=later(minutes=3)).message == services.NO_PASSKEYS
    assert step_up_refusal(user, at=later(minutes=3)) is None


# --- a new set of backup codes after the confirmation ------------------------------------------------


def test_a_confirmed_regeneration_replaces_the_set_and_keeps_the_counters(key_only):
    user, key, old_codes = key_only
    at = later(minutes=1)
    token = challenge_issue(user=user, at=at)
    assert challenge_attempt(token=token, code=old_codes[0], at=at).ok  # 9 left
    nonce = confirm(user, key, at=at).nonce
    result = backup_codes_regenerate_confirmed(user=user, nonce=nonce, at=later(minutes=2))
    assert result.ok and len(result.backup_codes) == 10
    # one confirmation, one change: the same nonce again is refused, and nothing is issued
    again = backup_codes_regenerate_confirmed(user=user, nonce=nonce, at=later(minutes=2))
    assert not again.ok and again.message == USED_OR_EXPIRED
    assert Authenticator.objects.get(user=user).backup_codes_remaining == 10
    assert counters.drift() == {}
    event = AuditEvent.objects.get(action=Action.BACKUP_CODES_REGENERATED)
    assert event.detail == {"count": 10, "confirmed_with": "passkey"}
    token = challenge_issue(user=user, at=later(minutes=3))
    assert not challenge_attempt(token=token, code=old_codes[1], at=later(minutes=3)).ok
    assert challenge_attempt(token=token, code=result.backup_codes[0], at=later(minutes=3)).ok


def test_a_confirmation_expires_and_needs_its_own_nonce(key_only):
    user, key, _ = key_only
    nonce = confirm(user, key, at=later(minutes=1)).nonce
    wrong = backup_codes_regenerate_confirmed(user=user, nonce="not-it", at=later(minutes=2))
    assert not wrong.ok and wrong.message == USED_OR_EXPIRED
    late = backup_codes_regenerate_confirmed(user=user, nonce=nonce, at=later(minutes=6, seconds=1))
    assert not late.ok and late.message == USED_OR_EXPIRED
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).exists()


def test_a_confirmed_regeneration_is_refused_once_locked_or_reset(key_only):
    user, key, _ = key_only
    nonce = confirm(user, key, at=later(minutes=1)).nonce
    lock(user)
    refused = backup_codes_regenerate_confirmed(user=user, nonce=nonce, at=later(minutes=1))
    assert not refused.ok and refused.message == LOCKED_MESSAGE
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).exists()


def test_six_digits_from_a_user_without_an_app_are_no_guess(key_only):
    user, _, _ = key_only
    refused = backup_codes_regenerate(user=user, code="123456", at=later(minutes=1))
    assert not refused.ok and refused.message == NO_APP
    assert failures(user) == 0


# --- adding an authenticator app ----------------------------------------------------------------------


def test_the_apps_first_code_stores_the_secret_moves_the_counters_and_is_audited(key_only):
    user, _, codes = key_only
    assert counters.totals().get(counters.METHOD_APP, 0) == 0
    secret = new_app_secret()
    clear = keys.decrypt_secret(secret)
    at = later(minutes=1)
    code = totp(clear, at.timestamp())
    result = app_add(user=user, encrypted_secret=secret, code=code, at=at)
    assert result.ok
    enrollment = Authenticator.objects.get(user=user)
    assert enrollment.has_app and keys.decrypt_secret(enrollment.encrypted_secret) == clear
    assert enrollment.passkeys == 1 and enrollment.backup_codes_remaining == 10  # kept
    totals = counters.totals()
    assert totals[counters.METHOD_APP] == 1 and totals[counters.METHOD_PASSKEY] == 1
    assert totals["enrolled"] == 1 and counters.drift() == {}
    assert AuditEvent.objects.filter(action=Action.APP_ADDED, target_id=user.pk).count() == 1
    # The confirming code is used; the app's next code signs in.
    token = challenge_issue(user=user, at=at)
    assert not challenge_attempt(token=token, code=code, at=at).ok
    next_step = later(minutes=1, seconds=30)
    assert challenge_attempt(token=token, code=totp(clear, next_step.timestamp()), at=next_step).ok
    # A second app cannot replace it.
    other = new_app_secret()
    again = app_add(
        user=user,
        encrypted_secret=other,
        code=totp(keys.decrypt_secret(other), later(minutes=2).timestamp()),
        at=later(minutes=2),
    )
    assert not again.ok and again.done and again.message == ALREADY_HAS_APP
    assert Authenticator.objects.get(user=user).encrypted_secret == enrollment.encrypted_secret
    assert counters.drift() == {}


def test_a_wrong_code_is_counted_and_stores_nothing(key_only):
    user, _, _ = key_only
    secret = new_app_secret()
    at = later(minutes=1)
    refused = app_add(
        user=user,
        encrypted_secret=secret,
        code=wrong_code(keys.decrypt_secret(secret), at),
        at=at,
    )
    assert not refused.ok and not refused.done and refused.message.startswith("Invalid code.")
    assert failures(user) == 1
    assert not Authenticator.objects.get(user=user).has_app
    assert counters.drift() == {}
    not_digits = app_add(user=user, encrypted_secret=secret, code="abc", at=at)
    assert not not_digits.ok and failures(user) == 1  # not a code at all: no guess


def test_a_skewed_phone_gets_the_hint(key_only):
    user, _, _ = key_only
    secret = new_app_secret()
    at = later(minutes=1)
    ahead = totp(keys.decrypt_secret(secret), at.timestamp() + 5 * 60)
    refused = app_add(user=user, encrypted_secret=secret, code=ahead, at=at)
    assert not refused.ok and "clock seems to be about 5 minutes ahead" in refused.message


def test_refused_while_locked_for_a_damaged_secret_and_for_a_user_not_enrolled(key_only, make_user):
    user, _, _ = key_only
    secret = new_app_secret()
    code = totp(keys.decrypt_secret(secret), later(minutes=1).timestamp())
    lock(user)
    locked = app_add(user=user, encrypted_secret=secret, code=code, at=later(minutes=1))
    assert not locked.ok and locked.done and locked.message == LOCKED_MESSAGE
    CodeGuessBudget.objects.all().delete()
    damaged = app_add(user=user, encrypted_secret="not a token", code=code, at=later(minutes=1))
    assert not damaged.ok and damaged.message == EXPIRED
    stranger = make_user("nobody@example.com")
    absent = app_add(user=stranger, encrypted_secret=secret, code=code, at=later(minutes=1))
    assert not absent.ok and absent.done
    assert not Authenticator.objects.filter(user=stranger).exists()
    assert not Authenticator.objects.get(user=user).has_app and counters.drift() == {}


def test_a_backup_code_confirms_the_app_setup_and_is_audited_with_its_purpose(key_only):
    user, _, codes = key_only
    step_up = services.passkey_step_up(
        user=user, code=codes[0], at=later(minutes=1), purpose="authenticator app setup"
    )
    assert step_up.ok
    used = AuditEvent.objects.get(action=Action.BACKUP_CODE_USED)
    assert used.detail == {"purpose": "authenticator app setup"}
    assert counters.drift() == {}
