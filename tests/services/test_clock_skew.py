"""Clock-skew diagnosis: a code from a phone whose clock is minutes off is refused exactly like any
invalid code (same counters), but the user is told why and the audit event records the skew."""

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import Authenticator, SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_confirm
from tests.reference_totp import totp

from .helpers import T0, later, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def attempt(user, code, at):
    token = challenge_issue(user=user, at=at)
    return challenge_attempt(token=token, code=code, at=at)


@pytest.mark.parametrize(
    ("phone_offset_s", "told"),
    [
        (150, "about 3 minutes ahead"),  # 5 steps: outside the default ±3 window
        (-120, "about 2 minutes behind"),
        (600, "about 10 minutes ahead"),
        (-600, "about 10 minutes behind"),
    ],
)
def test_code_from_a_skewed_phone_is_refused_with_a_hint(alice, phone_offset_s, told):
    t = later(minutes=30)
    phone_code = totp(alice.secret, t.timestamp() + phone_offset_s)
    result = attempt(alice.user, phone_code, t)
    assert not result.ok
    assert result.message == (
        f"Invalid code. 4 attempts remaining. Your phone's clock seems to be {told}"
        " — turn on automatic date and time."
    )
    event = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).get()
    assert event.detail["clock_skew_steps"] == phone_offset_s // 30
    assert phone_code not in str(event.detail)
    assert Authenticator.objects.get().last_used_step < (t.timestamp() // 30)


def test_skewed_code_counts_as_one_failed_attempt_like_any_wrong_code(alice, set_policy):
    set_policy(max_invalid_attempts=2)
    t = later(minutes=30)
    token = challenge_issue(user=alice.user, at=t)
    skewed = totp(alice.secret, t.timestamp() + 300)
    first = challenge_attempt(token=token, code=skewed, at=t)
    assert "1 attempt remaining" in first.message
    assert SignInChallenge.objects.get().failed_attempts == 1
    second = challenge_attempt(token=token, code=wrong_code(alice.secret, t), at=t)
    assert second.locked and "clock" not in second.message
    # locked now: even the right code is refused
    assert not challenge_attempt(token=token, code=totp(alice.secret, t.timestamp()), at=t).ok


def test_skewed_code_is_never_accepted_later_by_the_wider_look_up(alice):
    t = later(minutes=30)
    skewed = totp(alice.secret, t.timestamp() - 200)
    assert not attempt(alice.user, skewed, t).ok
    assert not attempt(alice.user, skewed, later(minutes=30, seconds=1)).ok


@pytest.mark.parametrize("offset_s", [660, -700, 3600])
def test_codes_beyond_ten_minutes_get_the_plain_message(alice, offset_s):
    t = later(minutes=30)
    result = attempt(alice.user, totp(alice.secret, t.timestamp() + offset_s), t)
    assert result.message == "Invalid code. 4 attempts remaining."
    event = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).get()
    assert "clock_skew_steps" not in event.detail


def test_backup_code_typos_get_no_clock_hint(alice):
    result = attempt(alice.user, "ZZZZZ-ZZZZZ", later(minutes=30))
    assert result.message == "Invalid code. 4 attempts remaining."


def test_first_code_of_an_enrollment_from_a_skewed_phone_gets_the_hint(user, policy):
    authenticator = enrollment_begin(user=user, at=T0)
    secret = keys.decrypt_secret(authenticator.encrypted_secret)
    result = enrollment_confirm(user=user, code=totp(secret, T0.timestamp() - 240), at=T0)
    assert not result.ok
    assert result.message == (
        "Invalid code. Your phone's clock seems to be about 4 minutes behind"
        " — turn on automatic date and time."
    )
    assert Authenticator.objects.get().confirmed_at is None
    event = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).get()
    assert event.detail["clock_skew_steps"] == -8


def test_regenerating_backup_codes_with_a_skewed_code_names_the_skew(alice):
    from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate

    t = later(minutes=30)
    result = backup_codes_regenerate(
        user=alice.user, code=totp(alice.secret, t.timestamp() + 180), at=t
    )
    assert not result.ok
    assert result.message == (
        "Invalid code. Your phone's clock seems to be about 3 minutes ahead"
        " — turn on automatic date and time."
    )
    pasted = totp(alice.secret, t.timestamp())
    assert backup_codes_regenerate(user=alice.user, code=f"{pasted[:3]}–{pasted[3:]}", at=t).ok
