"""Parallel code sends from many sign-ins of one account cannot pass the limits across sign-ins
(PostgreSQL, real threads): the throttle rows are locked and counted before each send."""

from functools import partial

import pytest
from django.core import mail

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_send

from .helpers import T0, later
from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(user, enroll, set_policy):
    set_policy(email_codes_allowed=True)
    return enroll(user, at=T0)


def _send(challenge, at):
    return email_code_send(challenge=challenge, at=at)


@pytest.mark.parametrize(
    "setting", ["PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR", "PORTAL2FA_CODE_SENDS_PER_DESTINATION_DAY"]
)
def test_parallel_sends_from_eight_sign_ins_stop_exactly_at_the_limit(alice, settings, setting):
    setattr(settings, setting, 3)
    at = later(minutes=1)
    challenges = [
        SignInChallenge.objects.get(
            token_digest=keys.token_digest(challenge_issue(user=alice.user, at=at))
        )
        for _ in range(8)
    ]
    results = run_together([partial(_send, challenge, at) for challenge in challenges])
    assert sum(result.ok for result in results) == 3
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action=Action.CODE_SEND_REFUSED).count() == 5
