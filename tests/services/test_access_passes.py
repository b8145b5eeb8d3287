"""Temporary Access Passes: issued once and stored hashed, single use, one live pass per user,
revocable, expiring, and guessed against the same token lockout and account budget as any code."""

import logging

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor import messages
from portal2fa.twofactor.core import access_pass
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import (
    Authenticator,
    CodeGuessBudget,
    ReenrollmentDue,
    SignInChallenge,
    TemporaryAccessPass,
    WebAuthnCredential,
)
from portal2fa.twofactor.services.access_passes import (
    ALREADY_ACCEPTED,
    EXPIRED,
    INVALID,
    USED,
    AccessPassError,
    access_pass_attempt,
    access_pass_expire_all,
    access_pass_issue,
    access_pass_revoke,
)
from portal2fa.twofactor.services.challenge import (
    challenge_attempt,
    challenge_issue,
    challenge_load,
)
from portal2fa.twofactor.services.trusted_browsers import signed_out_everywhere

from .helpers import T0, later

pytestmark = pytest.mark.django_db

TOKEN_LOCKED = "Too many invalid attempts. Start a new sign-in."
EXPIRED_SIGNIN = messages.EXPIRED


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def issue(alice, admin_user, at=None, **kw):
    return access_pass_issue(actor=admin_user, user=alice.user, at=at or later(minutes=1), **kw)


def sign_in(alice, at=None):
    at = at or later(minutes=2)
    token = challenge_issue(user=alice.user, at=at)
    return token, at


def other_pass(code: str) -> str:
    """A well-formed pass that is not `code`."""
    swap = "2" if code[0] != "2" else "3"
    return swap + code[1:]


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_issue_stores_only_a_keyed_hash_audits_and_mails_the_user(
    alice, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = issue(alice, admin_user)
    row = TemporaryAccessPass.objects.get()
    assert access_pass.normalise(issued.display) == issued.code
    assert row.digest == keys.access_pass_digest(alice.user.pk, issued.code)
    assert issued.code not in str(list(TemporaryAccessPass.objects.values()))
    assert row.expires_at - row.issued_at == timezone.timedelta(hours=1)  # the default
    event = AuditEvent.objects.get(action=Action.ACCESS_PASS_ISSUED)
    assert event.actor == admin_user and event.target == alice.user
    assert issued.code not in str(event.detail) and issued.display not in str(event.detail)
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "If this wasn't you, contact your administrator" in mail.outbox[-1].body
    assert issued.code not in mail.outbox[-1].body


def test_the_lifetime_is_a_setting_within_ten_minutes_and_eight_hours(alice, admin_user):
    with override_settings(PORTAL2FA_ACCESS_PASS_MINUTES=30):
        issued = issue(alice, admin_user)
    assert issued.expires_at == later(minutes=31)
    assert issue(alice, admin_user, minutes=480).expires_at == later(minutes=481)
    for minutes in (9, 481, 0, True):
        with pytest.raises(AccessPassError, match="from 10 to 480 minutes"):
            issue(alice, admin_user, minutes=minutes)


def test_a_pass_signs_in_once_and_leads_to_enrollment(alice, admin_user):
    issued = issue(alice, admin_user)
    token, at = sign_in(alice)
    attempt = access_pass_attempt(token=token, code=issued.display.lower(), at=at)
    assert attempt.ok and attempt.user_id == alice.user.pk
    challenge = SignInChallenge.objects.get()
    assert challenge.access_pass_at == at and challenge.completed_at is None  # enrollment next
    # The old enrollment is gone, as a reset would remove it; they must enroll again.
    assert not Authenticator.objects.filter(user=alice.user).exists()
    assert ReenrollmentDue.objects.filter(user=alice.user).exists()
    assert not challenge_attempt(token=token, code=alice.code(at), at=at).ok
    assert TemporaryAccessPass.objects.get().outcome == "used"
    assert actions()[-2:] == [Action.ENROLLMENT_RESET, Action.ACCESS_PASS_USED]
    assert AuditEvent.objects.get(action=Action.ENROLLMENT_RESET).actor == alice.user
    # the same pass again, on this sign-in or the next
    assert access_pass_attempt(token=token, code=issued.code, at=at).message == ALREADY_ACCEPTED
    token2, at2 = sign_in(alice, later(minutes=3))
    assert access_pass_attempt(token=token2, code=issued.code, at=at2).message == USED


def test_a_pass_cannot_finish_a_sign_in_that_a_security_change_ended(alice, admin_user):
    issued = issue(alice, admin_user)
    token, at = sign_in(alice)
    challenge = challenge_load(token, at=at)  # the step's page read it before the change
    signed_out_everywhere(user=alice.user, at=at)
    attempt = access_pass_attempt(token=token, code=issued.code, at=at, challenge=challenge)
    assert not attempt.ok and attempt.message == EXPIRED_SIGNIN
    assert TemporaryAccessPass.objects.get().outcome == ""  # not spent: still usable
    assert Authenticator.objects.filter(user=alice.user).exists()  # nothing reset
    token, at = sign_in(alice, later(minutes=3))
    assert access_pass_attempt(token=token, code=issued.code, at=at).ok


def test_the_reset_a_pass_makes_ends_every_other_sign_in_in_progress_but_its_own(alice, admin_user):
    issued = issue(alice, admin_user)
    elsewhere, _ = sign_in(alice)  # someone else who has the password, at the second factor
    token, at = sign_in(alice)
    assert access_pass_attempt(token=token, code=issued.code, at=at).ok
    mine = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert mine.expires_at > at and mine.completed_at is None  # it goes on to enroll anew
    other = SignInChallenge.objects.get(token_digest=keys.token_digest(elsewhere))
    assert other.expires_at <= at  # ended: no factor and no code send on it any more
    attempt = access_pass_attempt(token=elsewhere, code=issued.code, at=at)
    assert not attempt.ok and attempt.message == EXPIRED_SIGNIN


def test_a_user_holds_at_most_one_live_pass(alice, admin_user):
    first = issue(alice, admin_user)
    second = issue(alice, admin_user, at=later(minutes=1, seconds=5))
    assert TemporaryAccessPass.objects.filter(ended_at=None).count() == 1
    assert Action.ACCESS_PASS_REVOKED in actions()
    token, at = sign_in(alice)
    refused = access_pass_attempt(token=token, code=first.code, at=at)
    assert not refused.ok and "revoked" in refused.message
    assert access_pass_attempt(token=token, code=second.code, at=at).ok


def test_a_double_click_on_issue_issues_one_pass(alice, admin_user):
    assert issue(alice, admin_user, request_id="form-1") is not None
    assert issue(alice, admin_user, request_id="form-1") is None
    assert TemporaryAccessPass.objects.count() == 1
    assert issue(alice, admin_user, request_id="form-2") is not None


def test_a_revoked_pass_is_refused_and_revoking_nothing_says_so(alice, admin_user):
    issued = issue(alice, admin_user)
    access_pass_revoke(actor=admin_user, user=alice.user, at=later(minutes=1, seconds=30))
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_REVOKED, actor=admin_user).exists()
    token, at = sign_in(alice)
    assert not access_pass_attempt(token=token, code=issued.code, at=at).ok
    with pytest.raises(AccessPassError, match="no Temporary Access Pass to revoke"):
        access_pass_revoke(actor=admin_user, user=alice.user, at=at)


def test_an_expired_pass_is_refused_and_audited_once(alice, admin_user):
    with time_machine.travel(T0, tick=False):
        issued = access_pass_issue(actor=admin_user, user=alice.user, at=timezone.now(), minutes=10)
    with time_machine.travel(T0 + timezone.timedelta(minutes=10), tick=False):
        now = timezone.now()
        token = challenge_issue(user=alice.user, at=now)
        refused = access_pass_attempt(token=token, code=issued.code, at=now)
        again = access_pass_attempt(token=token, code=issued.code, at=now)
    assert refused.message == EXPIRED and again.message == EXPIRED
    assert actions().count(Action.ACCESS_PASS_EXPIRED) == 1
    assert Authenticator.objects.filter(user=alice.user, confirmed_at__isnull=False).exists()
    assert not CodeGuessBudget.objects.filter(consecutive_failures__gt=0).exists()  # no guess


def test_the_sweep_audits_every_pass_past_its_time(alice, admin_user, make_user, enroll):
    bob = enroll(make_user("bob@example.com"), at=T0)
    issue(alice, admin_user, minutes=10)
    access_pass_issue(actor=admin_user, user=bob.user, at=later(minutes=1), minutes=60)
    assert access_pass_expire_all(at=later(minutes=20)) == 1
    assert access_pass_expire_all(at=later(minutes=20)) == 0
    assert AuditEvent.objects.get(action=Action.ACCESS_PASS_EXPIRED).target == alice.user


def test_wrong_passes_count_toward_the_token_and_the_account_budget(alice, admin_user):
    issued = issue(alice, admin_user)
    token, at = sign_in(alice)
    first = access_pass_attempt(token=token, code=other_pass(issued.code), at=at)
    assert first.message == f"{INVALID} 4 attempts remaining."
    garbage = access_pass_attempt(token=token, code="not a pass", at=at)
    assert garbage.message.startswith(INVALID)
    assert CodeGuessBudget.objects.get().consecutive_failures == 2
    for _ in range(3):
        access_pass_attempt(token=token, code=other_pass(issued.code), at=at)
    locked = access_pass_attempt(token=token, code=issued.code, at=at)
    assert locked.message == TOKEN_LOCKED and locked.locked
    assert TemporaryAccessPass.objects.get().ended_at is None  # never checked: still usable
    # a new sign-in: the pass, right at last, clears the account's count
    token2, at2 = sign_in(alice, later(minutes=3))
    assert access_pass_attempt(token=token2, code=issued.code, at=at2).ok
    assert not CodeGuessBudget.objects.filter(consecutive_failures__gt=0).exists()


def test_the_account_budget_refuses_a_pass_unchecked(alice, admin_user):
    issued = issue(alice, admin_user)
    CodeGuessBudget.objects.create(user=alice.user, consecutive_failures=100, locked_at=T0)
    token, at = sign_in(alice)
    refused = access_pass_attempt(token=token, code=issued.code, at=at)
    assert refused.locked and "locked after too many invalid codes" in refused.message
    assert TemporaryAccessPass.objects.get().ended_at is None


def test_a_pass_for_a_user_after_a_reset_keeps_their_passkeys_gone(alice, admin_user):
    """After an administrator's reset there is nothing left to remove: the pass only admits."""
    from portal2fa.twofactor.services.enrollment import enrollment_reset

    enrollment_reset(actor=admin_user, user=alice.user, at=later(minutes=1))
    issued = issue(alice, admin_user, at=later(minutes=1, seconds=10))
    token, at = sign_in(alice)
    assert access_pass_attempt(token=token, code=issued.code, at=at).ok
    assert actions().count(Action.ENROLLMENT_RESET) == 1
    assert not WebAuthnCredential.objects.exists()


def test_an_inactive_user_gets_no_pass(make_user, admin_user, policy):
    with pytest.raises(AccessPassError, match="inactive"):
        access_pass_issue(actor=admin_user, user=make_user(active=False), at=T0)


def test_the_pass_is_never_logged(alice, admin_user, caplog):
    caplog.set_level(logging.DEBUG)
    issued = issue(alice, admin_user)
    token, at = sign_in(alice)
    access_pass_attempt(token=token, code=other_pass(issued.code), at=at)
    access_pass_attempt(token=token, code=issued.code, at=at)
    assert issued.code not in caplog.text and issued.display not in caplog.text
    details = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert issued.code not in details and issued.display not in details


@pytest.mark.parametrize("needs_pass", [False, True])
def test_the_reset_notice_says_a_pass_is_needed_when_the_policy_asks_for_one(
    alice, admin_user, policy, django_capture_on_commit_callbacks, needs_pass
):
    """A user whose re-enrollment needs a pass is told to ask for one, not promised enrollment at
    the next sign-in."""
    from portal2fa.twofactor.services.enrollment import enrollment_reset

    policy.reset_needs_access_pass = needs_pass
    policy.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_reset(actor=admin_user, user=alice.user, at=later(minutes=1))
    (notice,) = [m for m in mail.outbox if m.subject == "Your two-factor authentication was reset"]
    assert ("Temporary Access Pass" in notice.body) is needs_pass
    assert ("The next time you sign in you will be asked" in notice.body) is not needs_pass
