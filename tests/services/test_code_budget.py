"""The account's budget of wrong codes across sign-ins (NIST SP 800-63B §5.2.2):
a ladder of growing delays after a few consecutive failures, a lock at 100, at most 100 evaluated
wrong codes per account per 24 hours whatever the attacker does, audit events and e-mails."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core import totp
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.machinery.code_budget import LOCKED_MESSAGE
from portal2fa.twofactor.models import Authenticator, CodeGuessBudget, SignInChallenge
from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.code_locks import NotLocked, code_lock_clear
from portal2fa.twofactor.services.enrollment import (
    enrollment_begin,
    enrollment_confirm,
    enrollment_reset,
)

from .helpers import T0, later, wrong_code

pytestmark = pytest.mark.django_db

TOKEN_LOCKED = "Too many invalid attempts. Start a new sign-in."


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def sign_in(user, code, at):
    """A new sign-in (a fresh token) and one code on it."""
    token = challenge_issue(user=user, at=at)
    return challenge_attempt(token=token, code=code, at=at)


def evaluated(user) -> int:
    return AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, target=user).count()


def test_a_growing_delay_after_five_consecutive_failures_across_sign_ins(alice):
    t = later(minutes=1)  # 12:01:15 UTC
    results = [sign_in(alice.user, wrong_code(alice.secret, t), t) for _ in range(5)]
    assert [r.message for r in results[:4]] == ["Invalid code. 4 attempts remaining."] * 4
    assert results[4].message == (
        "Invalid code. Too many invalid codes for this account. "
        "Try again after 12:02 UTC (in 1 minute)."
    )
    # during the delay not even the right code is checked (nor spent), and no failure counts
    waiting = sign_in(alice.user, alice.code(t), t + timedelta(seconds=59))
    assert not waiting.ok and not waiting.locked
    assert waiting.message.startswith("Too many invalid codes for this account. Try again after")
    assert evaluated(alice.user) == 5
    # each failure after the fifth doubles the wait: 1, 2, 4 minutes
    t6 = t + timedelta(minutes=1)
    assert "(in 2 minutes)" in sign_in(alice.user, wrong_code(alice.secret, t6), t6).message
    t7 = t6 + timedelta(minutes=2)
    assert "(in 4 minutes)" in sign_in(alice.user, wrong_code(alice.secret, t7), t7).message
    delays = AuditEvent.objects.filter(action=Action.CODE_DELAY).order_by("at")
    assert [e.detail["delay_seconds"] for e in delays] == [60, 120, 240]
    assert [e.detail["consecutive_failures"] for e in delays] == [5, 6, 7]
    # a correct code once the wait is over signs in and starts the count again from zero
    t8 = t7 + timedelta(minutes=4)
    assert sign_in(alice.user, alice.code(t8), t8).ok
    budget = CodeGuessBudget.objects.get(pk=alice.user.pk)
    assert (budget.consecutive_failures, budget.next_try_at, budget.locked_at) == (0, None, None)
    t9 = t8 + timedelta(minutes=1)
    assert sign_in(alice.user, wrong_code(alice.secret, t9), t9).message.startswith(
        "Invalid code. 4 attempts"
    )


def test_the_cap_of_the_ladder(alice, settings):
    settings.PORTAL2FA_CODE_DELAY_MAX_SECONDS = 300
    t = later(minutes=1)
    for _ in range(12):
        result = sign_in(alice.user, wrong_code(alice.secret, t), t)
        assert not result.ok
        t = CodeGuessBudget.objects.get(pk=alice.user.pk).next_try_at or t
    assert "(in 5 minutes)" in result.message
    delays = AuditEvent.objects.filter(action=Action.CODE_DELAY).order_by("at")
    # only steps up are audited: 60, 120, 240, then the cap
    assert [e.detail["delay_seconds"] for e in delays] == [60, 120, 240, 300]


@pytest.mark.parametrize(
    ("ladder", "most"),
    [
        ({}, 40),  # the defaults: 33 in the first day
        ({"PORTAL2FA_CODE_DELAY_SECONDS": 1, "PORTAL2FA_CODE_DELAY_MAX_SECONDS": 1}, 100),
    ],
    ids=["default-ladder", "no-ladder-only-the-lock"],
)
def test_24_hours_of_hammering_evaluate_at_most_100_wrong_codes(
    alice, settings, ladder, most, django_capture_on_commit_callbacks
):
    """An attacker who knows the password starts a new sign-in and sends a wrong code every
    minute, round the clock (the ladder's delays are whole minutes, so this also tries at the
    first moment each delay allows)."""
    for name, value in ladder.items():
        setattr(settings, name, value)
    start = later(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(24 * 60):
            t = start + timedelta(minutes=n)
            sign_in(alice.user, wrong_code(alice.secret, t), t)
    print("evaluated in 24 hours:", evaluated(alice.user))
    assert evaluated(alice.user) <= most <= 100
    if most == 100:  # the hard stop
        assert evaluated(alice.user) == 100
        assert CodeGuessBudget.objects.get(pk=alice.user.pk).locked_at is not None
        assert AuditEvent.objects.filter(action=Action.CODE_LOCKED).count() == 1
        assert [m.subject for m in mail.outbox] == [
            "Someone is trying codes on your account",
            "Your two-factor authentication is locked",
        ]
    else:
        assert evaluated(alice.user) > 20  # the ladder slows, it does not stop the owner for long


@pytest.fixture
def lock_after_3(settings):
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 50
    settings.PORTAL2FA_CODE_FAILURES_LOCK = 3


def test_the_lock_refuses_every_factor_until_an_administrator_unlocks(
    alice, lock_after_3, admin_user, django_capture_on_commit_callbacks
):
    t = later(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        results = [sign_in(alice.user, wrong_code(alice.secret, t), t) for _ in range(3)]
    assert results[2].locked and results[2].message == f"Invalid code. {LOCKED_MESSAGE}"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert "someone who knows your password is trying codes" in mail.outbox[0].body.lower()
    assert "change your password" in mail.outbox[0].body.lower()
    much_later = later(minutes=3 * 24 * 60)  # time alone does not unlock
    for code in (alice.code(much_later), alice.backup_codes[0]):
        refused = sign_in(alice.user, code, much_later)
        assert not refused.ok and refused.locked and refused.message == LOCKED_MESSAGE
    regenerated = backup_codes_regenerate(
        user=alice.user, code=alice.code(much_later), at=much_later
    )
    assert not regenerated.ok and regenerated.message == LOCKED_MESSAGE
    assert evaluated(alice.user) == 3  # nothing was checked while locked
    code_lock_clear(actor=admin_user, user=alice.user, at=much_later, client_address="198.51.100.9")
    event = AuditEvent.objects.get(action=Action.CODE_UNLOCKED)
    assert (event.actor, event.target, event.client_address) == (
        admin_user,
        alice.user,
        "198.51.100.9",
    )
    assert event.detail["consecutive_failures"] == 3
    assert sign_in(alice.user, alice.code(much_later), much_later).ok
    with pytest.raises(NotLocked):
        code_lock_clear(actor=admin_user, user=alice.user, at=much_later)


def test_an_enrollment_reset_clears_the_code_lock_and_ends_the_locked_sign_in(
    alice, lock_after_3, set_policy, admin_user
):
    set_policy(max_invalid_attempts=3)
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    for _ in range(3):
        challenge_attempt(token=token, code=wrong_code(alice.secret, t), at=t)
    assert CodeGuessBudget.objects.get(pk=alice.user.pk).locked_at is not None
    enrollment_reset(actor=admin_user, user=alice.user, at=t)
    assert not CodeGuessBudget.objects.filter(pk=alice.user.pk).exists()
    # the locked token does not come back to life: the reset ended the sign-ins in progress
    assert (
        challenge_attempt(token=token, code="123456", at=t).message == "This sign-in has expired."
    )
    # a new sign-in enrolls again: the confirming code is checked and accepted
    fresh = challenge_issue(user=alice.user, at=t)
    authenticator = enrollment_begin(user=alice.user, at=t)
    secret = keys.decrypt_secret(authenticator.encrypted_secret)
    assert challenge_attempt(
        token=fresh, code=totp.code_at_step(secret, totp.time_step(t)), at=t
    ).ok


def test_pending_enrollment_confirmation_counts_and_locks(user, policy, lock_after_3):
    """A Pending user (no confirmed authenticator) confirming from the personal page."""
    t = later(minutes=1)
    authenticator = enrollment_begin(user=user, at=t)
    secret = keys.decrypt_secret(authenticator.encrypted_secret)
    messages = [
        enrollment_confirm(user=user, code=wrong_code(secret, t), at=t).message for _ in range(3)
    ]
    assert messages[-1] == f"Invalid code. {LOCKED_MESSAGE}"
    refused = enrollment_confirm(user=user, code=totp.code_at_step(secret, totp.time_step(t)), at=t)
    assert not refused.ok and refused.message == LOCKED_MESSAGE
    assert Authenticator.objects.get(user=user).confirmed_at is None


def test_regeneration_failures_count_on_the_same_budget(alice, lock_after_3):
    t = later(minutes=1)
    sign_in(alice.user, wrong_code(alice.secret, t), t)
    backup_codes_regenerate(user=alice.user, code=wrong_code(alice.secret, t), at=t)
    third = sign_in(alice.user, wrong_code(alice.secret, t), t)
    assert third.locked and third.message == f"Invalid code. {LOCKED_MESSAGE}"
    assert Counter(e.action for e in AuditEvent.objects.filter(at=t))[Action.CODE_LOCKED] == 1


def test_first_delay_mails_the_user_once(alice, django_capture_on_commit_callbacks):
    t = later(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(7):
            at = t + timedelta(minutes=10 * n)
            sign_in(alice.user, wrong_code(alice.secret, at), at)
    assert [m.subject for m in mail.outbox] == ["Someone is trying codes on your account"]
    assert "change your password" in mail.outbox[0].body.lower()
    assert alice.secret not in mail.outbox[0].body
    assert SignInChallenge.objects.filter(user=alice.user).exists()
