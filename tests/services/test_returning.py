"""update_returning: a conditional UPDATE that answers the changed rows' values in one statement
(SQLite and, with DATABASE_URL, PostgreSQL)."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal2fa.twofactor.machinery.returning import update_returning
from portal2fa.twofactor.models import SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_issue


def count_failure(challenge):
    return update_returning(
        SignInChallenge.objects.filter(pk=challenge.pk, failed_attempts__lt=F("max_attempts")),
        ["failed_attempts", "max_attempts"],
        failed_attempts=F("failed_attempts") + 1,
    )


@pytest.mark.django_db
def test_it_answers_the_values_after_the_update_in_one_statement(enrolled):
    challenge_issue(user=enrolled.user, at=timezone.now())
    challenge = SignInChallenge.objects.get()
    with CaptureQueriesContext(connection) as captured:
        rows = count_failure(challenge)
    assert rows == [(1, challenge.max_attempts)]
    assert len(captured) == 1 and "RETURNING" in captured[0]["sql"]
    challenge.refresh_from_db()
    assert challenge.failed_attempts == 1


@pytest.mark.django_db
def test_no_row_matched_answers_nothing_and_changes_nothing(enrolled):
    challenge_issue(user=enrolled.user, at=timezone.now())
    challenge = SignInChallenge.objects.get()
    SignInChallenge.objects.update(failed_attempts=F("max_attempts"))
    assert count_failure(challenge) == []
    challenge.refresh_from_db()
    assert challenge.failed_attempts == challenge.max_attempts
