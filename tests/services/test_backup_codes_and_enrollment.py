"""Enrollment (begin, confirm, reset), backup code regeneration and the settings service."""

import pytest
from django.core import mail

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.machinery.policy import authenticator_of, state_of
from portal2fa.twofactor.models import (
    Authenticator,
    BackupCode,
    EnrollmentState,
    TwoFactorSettings,
)
from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.enrollment import (
    NothingToReset,
    enrollment_begin,
    enrollment_confirm,
    enrollment_reset,
)
from portal2fa.twofactor.services.settings import SettingsError, settings_update
from tests.reference_totp import totp

from .helpers import T0, later, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def sign_in(user, code, at):
    return challenge_attempt(token=challenge_issue(user=user, at=at), code=code, at=at)


def remaining(user) -> tuple[int, int]:
    a = Authenticator.objects.get(user=user)
    return a.backup_codes_remaining, a.backup_codes_issued


# --- enrollment ------------------------------------------------------------------------------


def test_begin_keeps_the_pending_secret(user, policy):
    first = enrollment_begin(user=user, at=T0)
    second = enrollment_begin(user=user, at=later(minutes=5))
    assert second.pk == first.pk
    assert keys.decrypt_secret(second.encrypted_secret) == keys.decrypt_secret(
        first.encrypted_secret
    )
    assert state_of(authenticator_of(user)) == EnrollmentState.PENDING
    assert Authenticator.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.ENROLLMENT_STARTED).count() == 1


def test_confirm_with_a_wrong_code_stays_pending(user, policy):
    secret = keys.decrypt_secret(enrollment_begin(user=user, at=T0).encrypted_secret)
    result = enrollment_confirm(user=user, code=wrong_code(secret, T0), at=T0)
    assert not result.ok and result.backup_codes == ()
    assert "Invalid code" in result.message
    assert state_of(authenticator_of(user)) == EnrollmentState.PENDING
    assert BackupCode.objects.count() == 0


def test_confirm_with_a_current_code_enrolls_with_a_full_set(user, set_policy):
    set_policy(backup_codes_per_set=7)
    secret = keys.decrypt_secret(enrollment_begin(user=user, at=T0).encrypted_secret)
    t = later(minutes=2)
    result = enrollment_confirm(user=user, code=totp(secret, t.timestamp()), at=t)
    assert result.ok
    assert len(result.backup_codes) == len(set(result.backup_codes)) == 7
    authenticator = Authenticator.objects.get(user=user)
    assert authenticator.state == EnrollmentState.ENROLLED and authenticator.confirmed_at == t
    assert remaining(user) == (7, 7)
    assert BackupCode.objects.filter(authenticator=authenticator).count() == 7
    assert sign_in(user, result.backup_codes[0], later(minutes=3)).ok


# --- backup codes --------------------------------------------------------------------------


def test_using_a_backup_code_decrements_remaining(alice):
    assert remaining(alice.user) == (10, 10)
    assert sign_in(alice.user, alice.backup_codes[0], later(60)).ok
    assert remaining(alice.user) == (9, 10)
    assert not sign_in(alice.user, alice.backup_codes[0], later(90)).ok  # used: no change
    assert remaining(alice.user) == (9, 10)


def test_regenerate_refuses_a_wrong_totp_code(alice):
    t = later(60)
    result = backup_codes_regenerate(user=alice.user, code=wrong_code(alice.secret, t), at=t)
    assert not result.ok and result.backup_codes == ()
    assert sign_in(alice.user, alice.backup_codes[0], later(90)).ok  # the old set still works


def test_regenerate_refuses_a_backup_code(alice):
    result = backup_codes_regenerate(user=alice.user, code=alice.backup_codes[0], at=later(60))
    assert not result.ok and result.backup_codes == ()
    assert remaining(alice.user) == (10, 10)  # not spent either
    assert sign_in(alice.user, alice.backup_codes[0], later(90)).ok


def test_regenerate_refuses_the_confirming_code(alice):
    assert not backup_codes_regenerate(user=alice.user, code=alice.code(T0), at=T0).ok


def test_regenerate_replaces_the_whole_set(alice, set_policy):
    assert sign_in(alice.user, alice.backup_codes[0], later(60)).ok
    set_policy(backup_codes_per_set=12)
    t = later(minutes=2)
    result = backup_codes_regenerate(user=alice.user, code=alice.code(t), at=t)
    assert result.ok and len(set(result.backup_codes)) == 12
    assert not set(result.backup_codes) & set(alice.backup_codes)
    assert remaining(alice.user) == (12, 12)
    # every old code stopped working at once, the used one and the unused ones
    for old in alice.backup_codes[:4]:
        attempt = sign_in(alice.user, old, later(minutes=3))
        assert not attempt.ok, old
    assert sign_in(alice.user, result.backup_codes[5], later(minutes=3)).ok
    assert remaining(alice.user) == (11, 12)
    # the TOTP code used for the step-up is spent too
    assert sign_in(alice.user, alice.code(t), t).message == "This code was already used."
    assert AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).count() == 1


# --- reset ---------------------------------------------------------------------------------


def test_reset_removes_everything_audits_and_mails(
    alice, admin_user, django_capture_on_commit_callbacks
):
    t = later(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_reset(
            actor=admin_user,
            user=alice.user,
            at=t,
            client_address="203.0.113.9",
            reason="lost phone",
        )
    assert not Authenticator.objects.filter(user=alice.user).exists()
    assert BackupCode.objects.count() == 0
    assert state_of(authenticator_of(alice.user)) == EnrollmentState.NOT_STARTED
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_RESET)
    assert (event.actor, event.target, event.at) == (admin_user, alice.user, t)
    assert event.client_address == "203.0.113.9"
    assert event.detail["previous_state"] == "Enrolled"
    assert [m.to for m in mail.outbox] == [[alice.user.email]]
    assert alice.secret not in mail.outbox[0].body
    # the old backup codes are gone with the authenticator; a new enrollment starts afresh
    fresh = enrollment_begin(user=alice.user, at=later(minutes=6))
    assert keys.decrypt_secret(fresh.encrypted_secret) != alice.secret


def test_reset_sends_no_mail_when_the_transaction_does_not_commit(
    alice, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrollment_reset(actor=admin_user, user=alice.user, at=later(60))
    assert mail.outbox == []
    for callback in callbacks:  # the commit: the notice (and audit's event_committed signal)
        callback()
    assert len(mail.outbox) == 1


def test_reset_of_a_pending_enrollment(user, policy, admin_user):
    enrollment_begin(user=user, at=T0)
    enrollment_reset(actor=admin_user, user=user, at=later(60))
    assert (
        AuditEvent.objects.get(action=Action.ENROLLMENT_RESET).detail["previous_state"] == "Pending"
    )
    assert not Authenticator.objects.exists()


def test_reset_of_a_not_started_user_raises(user, policy, admin_user):
    with pytest.raises(NothingToReset):
        enrollment_reset(actor=admin_user, user=user, at=T0)
    assert not AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).exists()


# --- settings ------------------------------------------------------------------------------


def test_settings_update_saves_and_audits_old_to_new(policy, admin_user):
    diff = settings_update(
        actor=admin_user,
        changes={"max_invalid_attempts": 7, "issuer_name": "Acme", "clock_skew_steps": 3},
        at=T0,
        client_address="203.0.113.1",
    )
    assert diff == {"max_invalid_attempts": [5, 7], "issuer_name": ["", "Acme"]}
    stored = TwoFactorSettings.objects.get(pk=1)
    assert (stored.max_invalid_attempts, stored.issuer_name) == (7, "Acme")
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.actor == admin_user and event.client_address == "203.0.113.1"
    assert event.detail == {"changes": diff}


def test_settings_update_without_a_change_records_nothing(policy, admin_user):
    assert settings_update(actor=admin_user, changes={"max_invalid_attempts": 5}, at=T0) == {}
    assert not AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"max_invalid_attempts": 0},
        {"max_invalid_attempts": 11},
        {"clock_skew_steps": 6},
        {"backup_codes_per_set": 4},
        {"backup_codes_per_set": 21},
        {"low_codes_threshold": 0},
        {"low_codes_threshold": 10},  # not lower than the 10 codes per set
        {"backup_codes_per_set": 5, "low_codes_threshold": 5},
        {"issuer_name": "Acme:Evil"},
        {"issuer_name": "x" * 65},
        {"enabled": False, "max_invalid_attempts": 11},  # one bad value: nothing is saved
        {"no_such_setting": 1},
    ],
)
def test_settings_update_rejects_out_of_range_values_and_saves_nothing(policy, admin_user, changes):
    before = TwoFactorSettings.objects.values().get(pk=1)
    with pytest.raises(SettingsError) as error:
        settings_update(actor=admin_user, changes=changes, at=T0)
    assert error.value.errors
    assert TwoFactorSettings.objects.values().get(pk=1) == before
    assert not AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).exists()
