"""Races on PostgreSQL with real threads: "Remind me later" at its last allowed snooze, and a
role's rule changed by two administrators at once."""

from datetime import UTC, datetime, timedelta

import pytest

from portal2fa.twofactor.core.deadlines import WITHIN_DAYS, DueRule
from portal2fa.twofactor.models import EnrollmentDeadline
from portal2fa.twofactor.services.challenge import (
    challenge_issue,
    challenge_snooze_enrollment,
)
from portal2fa.twofactor.services.deadlines import deadline_snooze
from portal2fa.twofactor.services.settings import settings_update

from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def finance_user(policy, make_role, make_user):
    finance = make_role("Finance", requires_2fa=False)
    user = make_user(role=finance)
    settings_update(
        actor=None,
        changes={},
        at=DAY0,
        role_deadlines={str(finance.pk): DueRule(WITHIN_DAYS, days=14, snooze_limit=3)},
        role_requirements={str(finance.pk): True},
    )
    return user


def test_eight_snoozes_at_once_count_up_to_the_limit(finance_user):
    at = DAY0 + timedelta(days=1)
    results = run_together([lambda: deadline_snooze(user_id=finance_user.pk, at=at)] * 8)
    assert results.count(True) == 3
    assert EnrollmentDeadline.objects.get(user=finance_user).snoozes == 3


def test_the_last_snooze_from_two_sign_ins_at_once_signs_in_once(finance_user):
    EnrollmentDeadline.objects.filter(user=finance_user).update(snoozes=2)
    at = DAY0 + timedelta(days=1)
    tokens = [challenge_issue(user=finance_user, at=at) for _ in range(2)]
    results = run_together(
        [lambda t=t: challenge_snooze_enrollment(token=t, at=at) for t in tokens]
    )
    assert sorted(result.ok for result in results) == [False, True]
    assert EnrollmentDeadline.objects.get(user=finance_user).snoozes == 3


def test_two_rule_changes_at_once_leave_one_consistent_answer(finance_user):
    role_id = str(finance_user.role_id)

    def change(days):
        return lambda: settings_update(
            actor=None,
            changes={},
            at=DAY0,
            role_deadlines={role_id: DueRule(WITHIN_DAYS, days=days)},
        )

    run_together([change(20), change(40)])
    finance_user.role.refresh_from_db()
    due = EnrollmentDeadline.objects.get(user=finance_user).due_at
    assert due == DAY0 + timedelta(days=finance_user.role.grace_days)
