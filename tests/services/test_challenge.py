"""The sign-in security token: codes, replay, lockout, expiry, budget, audit."""

import json
from collections import Counter

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core import backup_codes, totp
from portal2fa.twofactor.models import Authenticator, SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.enrollment import enrollment_reset
from portal2fa.twofactor.services.settings import settings_update

from .helpers import T0, later, wrong_code

pytestmark = pytest.mark.django_db

USED = "This code was already used."
LOCKED = "Too many invalid attempts. Start a new sign-in."
EXPIRED = "This sign-in has expired."
ACCOUNT_DELAYED = "Too many invalid codes for this account. Try again"
ADDRESS = "198.51.100.4"


@pytest.fixture
def alice(user, enroll, policy):
    """Alice, enrolled at T0: the confirming code used step(T0)."""
    return enroll(user, at=T0)


def sign_in(user, code, at):
    token = challenge_issue(user=user, at=at)
    return challenge_attempt(token=token, code=code, at=at)


def test_current_totp_code_completes_the_token(alice):
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t, client_address=ADDRESS)
    result = challenge_attempt(token=token, code=alice.code(t), at=t, client_address=ADDRESS)
    assert result.ok and result.user_id == alice.user.pk and not result.used_backup_code
    assert SignInChallenge.objects.get().completed_at == t
    assert Authenticator.objects.get().last_used_step == totp.time_step(t)
    # a completed token cannot be spent a second time
    t2 = later(minutes=2)
    assert not challenge_attempt(token=token, code=alice.code(t2), at=t2).ok


@pytest.mark.parametrize("token", [None, "", "no-such-token"])
def test_unknown_token_is_refused(alice, token):
    result = challenge_attempt(token=token, code=alice.code(later(60)), at=later(60))
    assert not result.ok and result.message == EXPIRED


def test_same_code_is_refused_on_a_new_sign_in(alice):
    t = later(minutes=1)
    code = alice.code(t)
    assert sign_in(alice.user, code, t).ok
    replay = sign_in(alice.user, code, later(70))  # still inside the ±90 s window
    assert not replay.ok and replay.message == USED


def test_code_older_than_the_last_accepted_step_is_refused(alice):
    newer, older = later(minutes=3), later(minutes=2)
    assert sign_in(alice.user, alice.code(newer), newer).ok
    result = sign_in(alice.user, alice.code(older), newer)  # older step, inside the window
    assert not result.ok and result.message == USED


def test_confirming_code_of_an_enrollment_cannot_sign_in(user, enroll, policy):
    enrolled = enroll(user, at=T0)
    result = sign_in(user, enrolled.code(T0), T0)
    assert not result.ok and result.message == USED
    assert sign_in(user, enrolled.code(later(30)), later(30)).ok  # the next step's code does


def test_backup_code_works_once(alice):
    code = alice.backup_codes[0]
    first = sign_in(alice.user, code, later(60))
    assert first.ok and first.used_backup_code
    second = sign_in(alice.user, code, later(90))
    assert not second.ok and second.message == USED


@pytest.mark.parametrize(
    "typed",
    [
        str.lower,
        lambda c: backup_codes.display(c).lower(),
        lambda c: f" {c[:5]} {c[5:]} ",
        lambda c: " ".join(c).lower(),
        lambda c: f"{c[:3]}-{c[3:7]} {c[7:]}",
    ],
)
def test_backup_code_input_ignores_case_spaces_and_dashes(alice, typed):
    code = alice.backup_codes[3]
    result = sign_in(alice.user, typed(code), later(60))
    assert result.ok and result.used_backup_code
    assert not sign_in(alice.user, code, later(90)).ok  # that very code was spent


def test_lockout_after_maximum_invalid_attempts(alice, set_policy):
    set_policy(max_invalid_attempts=3)
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    bad = [
        wrong_code(alice.secret, t),
        "ZZZZZ-ZZZZZ",
        wrong_code(alice.secret, t),
    ]  # TOTP or backup
    results = [challenge_attempt(token=token, code=code, at=t) for code in bad]
    assert [r.message for r in results] == [
        "Invalid code. 2 attempts remaining.",
        "Invalid code. 1 attempt remaining.",
        LOCKED,
    ]
    assert [r.locked for r in results] == [False, False, True]
    for code in (alice.code(t), alice.backup_codes[0]):  # even a correct code is refused
        refused = challenge_attempt(token=token, code=code, at=t)
        assert not refused.ok and refused.locked and refused.message == LOCKED
    assert SignInChallenge.objects.get().failed_attempts == 3
    # a new sign-in issues a new token, which accepts the (unspent) code
    assert sign_in(alice.user, alice.code(t), t).ok


def test_reset_enrollment_does_not_unlock_the_token(alice, set_policy, admin_user, enroll):
    set_policy(max_invalid_attempts=3)
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    for _ in range(3):
        challenge_attempt(token=token, code=wrong_code(alice.secret, t), at=t)
    enrollment_reset(actor=admin_user, user=alice.user, at=t)
    # the reset ends the user's sign-ins in progress: the locked token is over for good
    assert challenge_attempt(token=token, code=alice.code(t), at=t).message == EXPIRED
    again = enroll(alice.user, at=later(minutes=2))  # enrolled anew, still no use of the token
    t3 = later(minutes=3)
    after = challenge_attempt(token=token, code=again.code(t3), at=t3)
    assert not after.ok and after.message == EXPIRED


def test_token_expires_after_ten_minutes(alice):
    issued = later(minutes=1)
    inside, outside = later(minutes=10, seconds=59), later(minutes=11, seconds=1)
    token = challenge_issue(user=alice.user, at=issued)
    result = challenge_attempt(token=token, code=alice.code(outside), at=outside)
    assert not result.ok and result.message == EXPIRED
    fresh = challenge_issue(user=alice.user, at=issued)
    assert challenge_attempt(token=fresh, code=alice.code(inside), at=inside).ok


def test_max_attempts_is_a_snapshot_taken_at_issue(alice, set_policy, admin_user):
    set_policy(max_invalid_attempts=3)
    t = later(minutes=1)
    old = challenge_issue(user=alice.user, at=t)
    settings_update(actor=admin_user, changes={"max_invalid_attempts": 6}, at=t)
    new = challenge_issue(user=alice.user, at=t)
    bad = wrong_code(alice.secret, t)
    assert (
        challenge_attempt(token=new, code=bad, at=t).message
        == "Invalid code. 5 attempts remaining."
    )
    messages = [challenge_attempt(token=old, code=bad, at=t).message for _ in range(3)]
    assert messages[0] == "Invalid code. 2 attempts remaining."
    assert messages[-1] == LOCKED


def test_account_code_budget_spans_new_sign_ins(alice, settings):
    """The per-account budget is consecutive failures with a delay
    ladder (tests/services/test_code_budget.py), not a sliding hourly window."""
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 4
    t = later(minutes=1)
    bad = wrong_code(alice.secret, t)
    first = challenge_issue(user=alice.user, at=t)
    for _ in range(3):
        challenge_attempt(token=first, code=bad, at=t)
    second = challenge_issue(user=alice.user, at=t)
    assert challenge_attempt(token=second, code=bad, at=t).message == (
        f"Invalid code. {ACCOUNT_DELAYED} after 12:02 UTC (in 1 minute)."
    )
    # 4 failures on the account: the token is not locked, but the account must wait
    refused = challenge_attempt(token=second, code=alice.code(t), at=t)
    assert not refused.ok and refused.message.startswith(ACCOUNT_DELAYED)
    third = sign_in(alice.user, alice.code(t), t)
    assert not third.ok and third.message.startswith(ACCOUNT_DELAYED)
    a_minute_later = later(minutes=2)
    assert sign_in(alice.user, alice.code(a_minute_later), a_minute_later).ok


def test_audit_events_record_failure_lockout_and_success_without_codes(alice, set_policy):
    set_policy(max_invalid_attempts=2)
    t = later(minutes=1)
    wrong = [wrong_code(alice.secret, t), "XXXXX-YYYYY"]
    token = challenge_issue(user=alice.user, at=t, client_address=ADDRESS)
    for code in wrong:
        challenge_attempt(token=token, code=code, at=t, client_address=ADDRESS)
    good, backup = alice.code(t), alice.backup_codes[1]
    for code in (good, backup):
        token = challenge_issue(user=alice.user, at=t, client_address=ADDRESS)
        assert challenge_attempt(token=token, code=code, at=t, client_address=ADDRESS).ok
    events = AuditEvent.objects.filter(at=t)
    assert Counter(e.action for e in events) == {
        Action.SECOND_FACTOR_FAILED: 2,
        Action.SECOND_FACTOR_LOCKOUT: 1,
        Action.SIGNIN_SUCCEEDED: 2,
        Action.BACKUP_CODE_USED: 1,
    }
    assert all(e.target_id == alice.user.pk and e.client_address == ADDRESS for e in events)
    details = json.dumps([e.detail for e in AuditEvent.objects.all()]) + " ".join(
        str(e) for e in AuditEvent.objects.all()
    )
    forbidden = [*wrong, good, alice.secret]
    for code in alice.backup_codes:
        forbidden += [code, code.lower(), backup_codes.display(code)]
    assert [s for s in forbidden if s in details or s.lower() in details.lower()] == []
