"""The password POST of the own sign-in page: a fixed, small number of SQL statements (it was 19
in 5 transactions). Counted as tests/views/test_verify_queries.py counts (transaction=True, BEGIN
and COMMIT left out). Today: 8 -- the throttle keys entering flight (one upsert that returns what
the check needs); the user; the throttle keys leaving flight; the policy (once); the user's
authenticator with, in the same statement, the user's session generation (kept for the session
the second factor logs in, so a security change made meanwhile ends it too); the user's expired
challenges deleted; the new
challenge; the session, inserted once. The throttles stay exact (tests/services/test_concurrency_postgres.py)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.machinery.throttle import (
    IN_FLIGHT,
    throttle_fail,
    throttle_release,
    throttle_reserve,
)
from portal2fa.twofactor.models import (
    EmailCode,
    SignInChallenge,
    ThrottleEvent,
    ThrottleKey,
)
from portal2fa.twofactor.services.challenge import challenge_issue, challenges_prune

from ..conftest import PASSWORD
from .test_verify_queries import sql_of

MAX_PASSWORD_STATEMENTS = 8
WINDOW = timedelta(minutes=15)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("population", [0, 25])
def test_password_post_costs_at_most_8_statements(client, enrolled, make_user, population):
    for n in range(population):
        make_user(f"other{n}@example.com")
    old = timezone.now() - timedelta(hours=1)  # an expired token of the user: deleted
    challenge_issue(user=enrolled.user, at=old)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("twofactor:signin"), {"email": enrolled.user.email, "password": PASSWORD}
        )
    assert response.url == reverse("twofactor:signin-verify")
    statements = sql_of(captured)
    assert len(statements) <= MAX_PASSWORD_STATEMENTS, "\n".join(statements)
    session_writes = [s for s in statements if "django_session" in s and "SELECT" not in s]
    assert len(session_writes) == 1 and session_writes[0].startswith("INSERT")
    assert not any("throttleevent" in s for s in statements)  # no row written to be deleted
    assert sum("twofactorsettings" in s for s in statements) == 1  # the policy, once
    assert SignInChallenge.objects.get().created_at > old
    assert set(ThrottleKey.objects.values_list("pending", flat=True)) == {0}
    assert client.get(reverse("twofactor:signin-verify")).status_code == HTTPStatus.OK


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_is_a_failure_of_each_key(client, enrolled):
    response = client.post(
        reverse("twofactor:signin"), {"email": enrolled.user.email, "password": "wrong"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ThrottleEvent.objects.count() == 2  # the account and the address
    assert set(ThrottleKey.objects.values_list("pending", flat=True)) == {0}
    assert ThrottleKey.objects.filter(failed_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_attempts_in_flight_count_against_the_limit():
    at = timezone.now()
    first = throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at)
    second = throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at)
    assert first and second
    assert throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at) is None  # 2 in flight
    throttle_release(first)  # a success: room again
    third = throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at)
    throttle_fail(second)
    throttle_fail(third)
    assert ThrottleEvent.objects.count() == 2
    assert throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at) is None  # 2 failures
    assert throttle_reserve(limits=[("k", 2)], window=WINDOW, at=at + WINDOW) is not None


@pytest.mark.django_db
def test_a_refusal_records_nothing_and_all_keys_or_none_are_reserved():
    at = timezone.now()
    throttle_fail(throttle_reserve(limits=[("full", 1)], window=WINDOW, at=at))
    assert throttle_reserve(limits=[("full", 1), ("free", 5)], window=WINDOW, at=at) is None
    assert ThrottleKey.objects.get(key="full").pending == 0
    assert not ThrottleKey.objects.filter(key="free").exists()


@pytest.mark.django_db
def test_an_attempt_lost_with_its_process_stops_counting_after_a_minute():
    at = timezone.now()
    assert throttle_reserve(limits=[("k", 1)], window=WINDOW, at=at)  # never ended
    assert throttle_reserve(limits=[("k", 1)], window=WINDOW, at=at) is None
    later = at + IN_FLIGHT + timedelta(seconds=1)
    assert throttle_reserve(limits=[("k", 1)], window=WINDOW, at=later) is not None


@pytest.mark.django_db
def test_expired_challenges_with_an_email_code_are_pruned_with_it(enrolled):
    old = timezone.now() - timedelta(hours=1)
    challenge_issue(user=enrolled.user, at=old)
    challenge = SignInChallenge.objects.get()
    EmailCode.objects.create(challenge=challenge, digest="x" * 64, sent_at=old, expires_at=old)
    challenge_issue(user=enrolled.user, at=timezone.now())  # leaves it (it has a code)
    assert SignInChallenge.objects.count() == 2
    assert challenges_prune(at=timezone.now()) == 2  # the challenge and its code
    assert SignInChallenge.objects.count() == 1 and not EmailCode.objects.exists()
