"""Email and SMS code sends are limited across sign-ins: per account and per destination, per hour
and per day; none while the account's invalid codes delay or lock its second factor. Refusals
are audited and shown on the per-user 2FA view."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import EmailCode, SignInChallenge, ThrottleEvent
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_send
from portal2fa.twofactor.sms import LocmemSmsProvider
from tests.views.helpers import text

from .helpers import T0, later, wrong_code

pytestmark = pytest.mark.django_db

GAP = timedelta(seconds=31)  # past the resend gap of one sign-in


@pytest.fixture
def alice(user, enroll, set_policy):
    set_policy(email_codes_allowed=True)
    return enroll(user, at=T0)


def send(user, at, channel="email"):
    """A new sign-in (password step) and one send at `at`."""
    token = challenge_issue(user=user, at=at)
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    return email_code_send(challenge=challenge, at=at, client_address="192.0.2.9", channel=channel)


def refusals():
    return list(
        AuditEvent.objects.filter(action=Action.CODE_SEND_REFUSED).values_list("detail", flat=True)
    )


def test_new_sign_ins_do_not_give_more_sends_than_the_accounts_hourly_limit(alice, settings):
    settings.PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR = 4
    start = later(minutes=1)
    results = [send(alice.user, start + i * GAP) for i in range(6)]
    assert [r.ok for r in results] == [True] * 4 + [False] * 2
    assert results[-1].message.startswith("Too many codes were sent in the last hour.")
    assert len(mail.outbox) == 4
    assert refusals() == [{"channel": "email", "reason": "account hour limit"}] * 2
    # nothing of a refused send is kept: no code row, no counted send
    assert EmailCode.objects.count() == 4
    assert send(alice.user, start + timedelta(minutes=61)).ok  # the hour has passed


def test_the_daily_limit_holds_across_hours(alice, settings):
    settings.PORTAL2FA_CODE_SENDS_PER_ACCOUNT_DAY = 5
    start = later(minutes=1)
    results = [send(alice.user, start + timedelta(hours=2 * i)) for i in range(6)]
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert results[-1].message.startswith("Too many codes were sent today.")
    assert refusals() == [{"channel": "email", "reason": "account day limit"}]
    assert send(alice.user, start + timedelta(hours=25)).ok


def test_a_destination_shared_by_accounts_has_its_own_limit(
    alice, make_user, enroll, settings, set_policy
):
    settings.PORTAL2FA_ADAPTER = "tests.services.test_sms_codes.PhoneAdapter"  # one number for all
    settings.PORTAL2FA_SMS_PROVIDER = "portal2fa.twofactor.sms.LocmemSmsProvider"
    settings.PORTAL2FA_CODE_SENDS_PER_DESTINATION_HOUR = 3
    LocmemSmsProvider.outbox.clear()
    set_policy(sms_codes_allowed=True)
    bob = enroll(make_user("bob@example.com"), at=T0).user
    start = later(minutes=1)
    results = [send(who, start + i * GAP, "sms") for i, who in enumerate([alice.user, bob] * 2)]
    assert [r.ok for r in results] == [True, True, True, False]
    assert len(LocmemSmsProvider.outbox) == 3
    assert refusals() == [{"channel": "sms", "reason": "destination hour limit"}]
    assert send(bob, start + timedelta(minutes=5)).ok  # his email is another destination


def test_no_send_while_the_account_is_in_its_invalid_code_delay(alice, settings):
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 2
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    for _ in range(2):
        challenge_attempt(token=token, code=wrong_code(alice.secret, t), at=t)
    mail.outbox.clear()
    refused = send(alice.user, t + timedelta(seconds=1))
    assert not refused.ok and "Try again after" in refused.message
    assert mail.outbox == [] and not EmailCode.objects.exists()
    assert refusals() == [{"channel": "email", "reason": "invalid-code delay"}]
    assert not ThrottleEvent.objects.exists()  # a refused send counts on no limit
    assert send(alice.user, t + timedelta(minutes=2)).ok  # the delay is over


def test_no_send_while_the_second_factor_is_locked_and_it_is_audited(alice, settings):
    settings.PORTAL2FA_CODE_FAILURES_LOCK = 2
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 5
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    for _ in range(2):
        challenge_attempt(token=token, code=wrong_code(alice.secret, t), at=t)
    mail.outbox.clear()
    assert not send(alice.user, t + timedelta(hours=3)).ok
    assert mail.outbox == []
    assert refusals() == [{"channel": "email", "reason": "code lock"}]


def test_the_per_user_view_shows_the_refused_sends(admin_client, alice, settings):
    settings.PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR = 1
    start = later(minutes=1)
    assert send(alice.user, start).ok
    assert not send(alice.user, start + GAP).ok
    page = text(admin_client.get(reverse("twofactor:setup-user", args=[alice.user.pk])))
    assert "Refused code sends" in page
    assert "Email code, account limit per hour" in page
    other = text(admin_client.get(reverse("twofactor:setup-user", args=[alice.user.pk + 1])))
    assert "Email code, account limit per hour" not in other


@pytest.mark.parametrize(
    "name",
    [
        "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR",
        "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_DAY",
        "PORTAL2FA_CODE_SENDS_PER_DESTINATION_HOUR",
        "PORTAL2FA_CODE_SENDS_PER_DESTINATION_DAY",
    ],
)
@pytest.mark.parametrize("value", [0, -1, "5", None])
def test_a_send_limit_must_be_a_whole_number_of_at_least_one(settings, name, value):
    from portal2fa.twofactor.checks import throttles_configured

    setattr(settings, name, value)
    assert [e.id for e in throttles_configured(None)] == ["portal2fa.E006"]
