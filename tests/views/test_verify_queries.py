"""The second-factor POST: a fixed, small number of SQL statements, whatever the population (issue
7: it was 23 with 5 commits). The failure path keeps its lock, counters and audit.

Counted with transaction=True, so the statements are those production runs (inside the test's own
transaction every atomic block would add SAVEPOINT / RELEASE); SQLite's "BEGIN IMMEDIATE" and
"COMMIT" are left out of the count, as PostgreSQL's never show (the driver sends them).
A valid code, today 10: session read; the challenge with user and authenticator; the policy; the
per-user lock; under it, one re-read of challenge, authenticator, the account's code budget and
the user's session generation (a locking SELECT that waited would return rows from before the
lock: so two statements); the code's UPDATE; the challenge's UPDATE; the audit INSERT; Django's
login() (the user's last_login UPDATE; the session generation it records was read under the lock,
test_verify_generation.py); the session moved to its new key with the old key left as a forward
for a second click, one upsert (web/sessions.py). After wrong codes, one more: the account's
failure count set back to zero.
A wrong code, 8: the same first five; the challenge's counter changed and read back in one
UPDATE .. RETURNING (twofactor/machinery/returning.py); the account's budget row inserted at the first
failure (no SAVEPOINT) or counted and read back in one statement; the audit INSERT."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import CodeGuessBudget, SignInChallenge

from ..conftest import PASSWORD

# The optional API app (installed in the demo) adds per audited event its webhook outbox
# INSERT … SELECT and its metric counters' upsert, and per verification the duration histogram's
# upsert: the library's own counts stay 10, 11 and 8.
API_APP = apps.is_installed("portal2fa.api")
API_PER_EVENT = 2 if API_APP else 0
API_PER_VERIFY = 1 if API_APP else 0
MAX_VERIFY_STATEMENTS = 10 + API_PER_EVENT + API_PER_VERIFY
MAX_VERIFY_AFTER_FAILURES = 11 + API_PER_EVENT + API_PER_VERIFY
MAX_WRONG_CODE_STATEMENTS = 8 + API_PER_EVENT + API_PER_VERIFY


def sql_of(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"] not in ("COMMIT", "ROLLBACK") and not q["sql"].startswith("BEGIN")
    ]


def held_at_verify(client, enrolled):
    response = client.post(
        reverse("twofactor:signin"), {"email": enrolled.user.email, "password": PASSWORD}
    )
    assert response.url == reverse("twofactor:signin-verify")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("population", [0, 25])
def test_successful_verify_costs_at_most_10_statements(
    client, enrolled, make_user, enroll, population
):
    for n in range(population):  # a population around: the count must not depend on it
        enroll(make_user(f"other{n}@example.com"))
    held_at_verify(client, enrolled)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
        )
    assert response.status_code == HTTPStatus.FOUND
    statements = sql_of(captured)
    assert len(statements) <= MAX_VERIFY_STATEMENTS, "\n".join(statements)
    assert AuditEvent.objects.filter(action=Action.SIGNIN_SUCCEEDED).exists()
    assert SignInChallenge.objects.get().completed_at is not None
    assert client.get("/").status_code == HTTPStatus.OK


@pytest.mark.django_db(transaction=True)
def test_successful_backup_code_verify_stays_small(client, enrolled):
    held_at_verify(client, enrolled)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("twofactor:signin-verify"), {"code": enrolled.backup_codes[0]}
        )
    assert response.status_code == HTTPStatus.FOUND
    # + the code's UPDATE, the remaining count's UPDATE, its re-read, the counter move, an audit
    assert len(sql_of(captured)) <= MAX_VERIFY_STATEMENTS + 5 + API_PER_EVENT


@pytest.mark.parametrize("population", [0, 30])
def test_failed_verify_still_counts_and_audits(client, enrolled, make_user, population):
    for n in range(population):
        make_user(f"p{n}@example.com")
    held_at_verify(client, enrolled)
    response = client.post(reverse("twofactor:signin-verify"), {"code": "000000"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert SignInChallenge.objects.get().failed_attempts == 1
    assert CodeGuessBudget.objects.get(user=enrolled.user).consecutive_failures == 1
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_cost_at_most_8_statements_without_a_savepoint(client, enrolled):
    held_at_verify(client, enrolled)
    for attempt in (1, 2):  # the budget row's first failure inserts it; the next counts it
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("twofactor:signin-verify"), {"code": "000000"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        statements = sql_of(captured)
        assert len(statements) <= MAX_WRONG_CODE_STATEMENTS, "\n".join(statements)
        assert not any("SAVEPOINT" in s for s in statements)
        assert SignInChallenge.objects.get().failed_attempts == attempt
        assert CodeGuessBudget.objects.get(user=enrolled.user).consecutive_failures == attempt
        assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).count() == attempt


@pytest.mark.django_db(transaction=True)
def test_a_valid_code_after_wrong_ones_costs_at_most_11_statements(client, enrolled):
    held_at_verify(client, enrolled)
    client.post(reverse("twofactor:signin-verify"), {"code": "000000"})
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
        )
    assert response.status_code == HTTPStatus.FOUND
    statements = sql_of(captured)
    assert len(statements) <= MAX_VERIFY_AFTER_FAILURES, "\n".join(statements)
    assert CodeGuessBudget.objects.get(user=enrolled.user).consecutive_failures == 0
