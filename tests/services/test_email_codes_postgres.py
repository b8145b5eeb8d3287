"""Email codes under real concurrency on PostgreSQL (one connection per thread)."""

import re
from collections import Counter

import pytest
from django.core import mail

from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import CodeGuessBudget, EmailCode, SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_attempt, email_code_send

from .helpers import T0, later
from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(user, enroll, policy):
    type(policy).objects.filter(pk=1).update(email_codes_allowed=True, max_invalid_attempts=10)
    return enroll(user, at=T0)


def start(alice):
    token = challenge_issue(user=alice.user, at=later(minutes=1))
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert email_code_send(challenge=challenge, at=later(minutes=1)).ok
    return token, re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_the_same_email_code_submitted_twice_at_once_wins_once(alice):
    token, code = start(alice)
    at = later(minutes=2)
    results = run_together(
        [lambda: email_code_attempt(token=token, code=code, at=at) for _ in range(2)]
    )
    assert sum(r.ok for r in results) == 1
    assert SignInChallenge.objects.get().completed_at == at
    assert EmailCode.objects.get().used_at == at


def test_parallel_wrong_email_codes_do_not_overshoot_the_account_budget(alice):
    """8 at once: the first 5 are evaluated and counted (token and account alike), then the
    account's delay refuses the rest unevaluated (PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 5)."""
    token, code = start(alice)
    wrong = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 9)]
    at = later(minutes=2)
    results = run_together(
        [lambda w=w: email_code_attempt(token=token, code=w, at=at) for w in wrong]
    )
    assert not any(r.ok for r in results)
    assert SignInChallenge.objects.get().failed_attempts == 5
    assert CodeGuessBudget.objects.get().consecutive_failures == 5
    delayed = Counter(
        r.message.startswith("Too many invalid codes for this account") for r in results
    )
    assert delayed == {True: 3, False: 5}


def test_parallel_resends_send_at_most_the_limit(alice):
    token = challenge_issue(user=alice.user, at=later(minutes=1))
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    at = later(minutes=1)
    results = run_together([lambda: email_code_send(challenge=challenge, at=at) for _ in range(6)])
    assert sum(r.ok for r in results) == 1  # the first; the rest are within the resend gap
    assert EmailCode.objects.get().sends == 1
