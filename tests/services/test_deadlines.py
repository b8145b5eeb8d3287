"""Enrollment due dates per Security Role, on a controlled clock: every rule, the snooze limit,
extensions, and what starts a user's date (a role starting to require 2FA, joining a role, an
account created in one)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal2fa.accounts.services import user_update
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core.deadlines import BY_DATE, NEXT_SIGNIN, WITHIN_DAYS, DueRule
from portal2fa.twofactor.machinery.local_days import end_of_day
from portal2fa.twofactor.machinery.policy import NextStep, next_step
from portal2fa.twofactor.models import EnrollmentDeadline, ReenrollmentDue
from portal2fa.twofactor.services.deadlines import (
    DeadlineError,
    deadline_extend,
    deadline_snooze,
)
from portal2fa.twofactor.services.settings import SettingsError, settings_update

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def set_rule(role, rule: DueRule, *, at=DAY0, requires=True):
    return settings_update(
        actor=None,
        changes={},
        at=at,
        role_deadlines={str(role.pk): rule},
        role_requirements={str(role.pk): requires},
    )


def step(user, policy, at):
    user.refresh_from_db()
    return next_step(user, policy, at=at)


@pytest.fixture
def finance(make_role):
    return make_role("Finance", requires_2fa=False)


def test_a_day_15_signin_with_a_14_day_grace_is_forced_into_enrollment(policy, finance, make_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    row = EnrollmentDeadline.objects.get(user=alice)
    assert (row.starts_at, row.due_at) == (DAY0, DAY0 + timedelta(days=14))
    assert step(alice, policy, DAY0 + timedelta(days=13)) is NextStep.ENROLL_LATER
    assert step(alice, policy, DAY0 + timedelta(days=14, seconds=-1)) is NextStep.ENROLL_LATER
    assert step(alice, policy, DAY0 + timedelta(days=15)) is NextStep.ENROLL


def test_within_days_keeps_the_fraction_of_a_second(policy, finance, make_user):
    alice = make_user(role=finance)
    at = DAY0.replace(microsecond=123456)
    set_rule(finance, DueRule(WITHIN_DAYS, days=3), at=at)
    assert EnrollmentDeadline.objects.get(user=alice).due_at == at + timedelta(days=3)


def test_by_a_date_means_until_the_end_of_that_day(policy, finance, make_user, settings):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(BY_DATE, by=date(2027, 3, 31)))
    due = EnrollmentDeadline.objects.get(user=alice).due_at
    assert due == end_of_day(date(2027, 3, 31))
    assert step(alice, policy, due - timedelta(seconds=1)) is NextStep.ENROLL_LATER
    assert step(alice, policy, due) is NextStep.ENROLL


def test_at_the_next_signin_is_the_default_and_gives_no_date(policy, finance, make_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule())
    assert not EnrollmentDeadline.objects.exists()
    assert step(alice, policy, DAY0) is NextStep.ENROLL


def test_a_fourth_snooze_with_a_limit_of_3_is_refused(policy, finance, make_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14, snooze_limit=3))
    for day in (1, 2, 3):
        at = DAY0 + timedelta(days=day)
        assert step(alice, policy, at) is NextStep.ENROLL_LATER
        assert deadline_snooze(user_id=alice.pk, at=at)
    at = DAY0 + timedelta(days=4)
    assert step(alice, policy, at) is NextStep.ENROLL  # before the date, but no snooze is left
    assert not deadline_snooze(user_id=alice.pk, at=at)
    assert EnrollmentDeadline.objects.get(user=alice).snoozes == 3


def test_no_snooze_after_the_due_date(policy, finance, make_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=1))
    assert not deadline_snooze(user_id=alice.pk, at=DAY0 + timedelta(days=2))


def test_joining_a_role_sets_the_date(policy, finance, make_user, make_role, admin_user):
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    bob = make_user(role=make_role("Readers", requires_2fa=False))
    assert not EnrollmentDeadline.objects.filter(user=bob).exists()
    joined = DAY0 + timedelta(days=5)
    user_update(
        actor=admin_user,
        user=bob,
        email=bob.email,
        full_name=bob.full_name,
        role=finance,
        is_active=True,
        at=joined,
    )
    row = EnrollmentDeadline.objects.get(user=bob)
    assert (row.starts_at, row.due_at) == (joined, joined + timedelta(days=14))
    readers = bob.role.__class__.objects.get(name="Readers")
    user_update(  # leaving every role that requires 2FA: no date any more
        actor=admin_user,
        user=bob,
        email=bob.email,
        full_name=bob.full_name,
        role=readers,
        is_active=True,
        at=joined,
    )
    assert not EnrollmentDeadline.objects.filter(user=bob).exists()


def test_an_account_created_in_the_role_starts_its_date(policy, finance, make_user):
    set_rule(finance, DueRule(WITHIN_DAYS, days=7))
    created = DAY0 + timedelta(days=40)
    with time_machine.travel(created, tick=False):
        carol = make_user(role=finance)
    row = EnrollmentDeadline.objects.get(user=carol)
    assert (row.starts_at, row.due_at) == (created, created + timedelta(days=7))


def test_an_account_created_where_no_role_gives_grace_touches_no_dates(policy, finance, make_user):
    with CaptureQueriesContext(connection) as captured:
        make_user(role=finance)
    assert not [q for q in captured if "enrollmentdeadline" in q["sql"]]


def test_a_role_starting_to_require_2fa_starts_its_users_dates(policy, finance, make_user):
    users = [make_user(role=finance) for _ in range(3)]
    set_rule(finance, DueRule(WITHIN_DAYS, days=10), requires=False)
    assert not EnrollmentDeadline.objects.exists()  # the rule waits for the requirement
    later = DAY0 + timedelta(days=3)
    settings_update(actor=None, changes={}, at=later, role_requirements={str(finance.pk): True})
    rows = EnrollmentDeadline.objects.filter(user__in=users)
    assert {(r.starts_at, r.due_at) for r in rows} == {(later, later + timedelta(days=10))}
    assert rows.count() == 3
    settings_update(actor=None, changes={}, at=later, role_requirements={str(finance.pk): False})
    assert not EnrollmentDeadline.objects.exists()


def test_enrolled_users_get_no_date(policy, finance, make_user, enroll):
    enrolled = enroll(make_user(role=finance)).user
    waiting = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    assert list(EnrollmentDeadline.objects.values_list("user_id", flat=True)) == [waiting.pk]
    assert step(enrolled, policy, DAY0) is NextStep.VERIFY


def test_enrolling_ends_the_date(policy, finance, make_user, enroll):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    assert EnrollmentDeadline.objects.filter(user=alice).exists()
    enroll(alice)
    assert not EnrollmentDeadline.objects.filter(user=alice).exists()
    set_rule(finance, DueRule(WITHIN_DAYS, days=30))  # a later rule change gives none back
    assert not EnrollmentDeadline.objects.filter(user=alice).exists()


def test_a_rule_change_recomputes_waiting_users_from_their_start(policy, finance, make_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    set_rule(finance, DueRule(WITHIN_DAYS, days=30), at=DAY0 + timedelta(days=2))
    assert EnrollmentDeadline.objects.get(user=alice).due_at == DAY0 + timedelta(days=30)
    set_rule(finance, DueRule(NEXT_SIGNIN), at=DAY0 + timedelta(days=3))
    assert not EnrollmentDeadline.objects.filter(user=alice).exists()


def test_an_extension_moves_the_date_and_outlives_a_stricter_rule(
    policy, finance, make_user, admin_user
):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14, snooze_limit=1))
    assert deadline_snooze(user_id=alice.pk, at=DAY0)
    at = DAY0 + timedelta(days=20)  # overdue: the days count from now
    assert step(alice, policy, at) is NextStep.ENROLL
    row = deadline_extend(
        actor=admin_user, user=alice, days=7, reason="On leave", at=at, client_address="10.0.0.1"
    )
    assert row.due_at == at + timedelta(days=7) and row.snoozes == 0
    assert step(alice, policy, at + timedelta(days=1)) is NextStep.ENROLL_LATER
    event = AuditEvent.objects.get(action=Action.DEADLINE_EXTENDED)
    assert (event.actor, event.target, event.detail["reason"]) == (admin_user, alice, "On leave")
    assert event.detail["changes"]["due"][1] == (at + timedelta(days=7)).isoformat()
    set_rule(finance, DueRule(WITHIN_DAYS, days=1), at=at)  # a stricter rule keeps the extension
    assert EnrollmentDeadline.objects.get(user=alice).due_at == at + timedelta(days=7)
    until = deadline_extend(
        actor=admin_user, user=alice, until=date(2027, 5, 1), reason="Travel", at=at
    )
    assert until.due_at == end_of_day(date(2027, 5, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 7, "reason": ""}, "Give a reason"),
        ({"days": 0, "reason": "x"}, "Extend by 1 to 365 days."),
        ({"reason": "x"}, "either a number of days or a date"),
        ({"until": date(2027, 3, 2), "reason": "x"}, "after the current due date"),
        ({"until": date(9999, 12, 31), "reason": "x"}, "Choose a date up to 2999-12-31."),
        ({"until": date(3000, 1, 1), "reason": "x"}, "Choose a date up to 2999-12-31."),
    ],
)
def test_a_bad_extension_says_why_and_changes_nothing(
    policy, finance, make_user, admin_user, kwargs, message
):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    alice.refresh_from_db()  # its role, as a page would read it
    with pytest.raises(DeadlineError, match=message):
        deadline_extend(actor=admin_user, user=alice, at=DAY0, **kwargs)
    assert EnrollmentDeadline.objects.get(user=alice).due_at == DAY0 + timedelta(days=14)
    assert not AuditEvent.objects.filter(action=Action.DEADLINE_EXTENDED).exists()


def test_extensions_by_days_stop_at_the_last_due_day(policy, finance, make_user, admin_user):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    alice.refresh_from_db()
    deadline_extend(actor=admin_user, user=alice, until=date(2999, 12, 31), reason="x", at=DAY0)
    with pytest.raises(DeadlineError, match="Choose a date up to 2999-12-31."):
        deadline_extend(actor=admin_user, user=alice, days=365, reason="x", at=DAY0)
    assert EnrollmentDeadline.objects.get(user=alice).due_at == end_of_day(date(2999, 12, 31))


def test_no_extension_for_users_who_need_not_enroll(policy, make_role, make_user, admin_user):
    free = make_user(role=make_role("Readers", requires_2fa=False))
    with pytest.raises(DeadlineError, match="No role of this user requires"):
        deadline_extend(actor=admin_user, user=free, days=3, reason="x", at=DAY0)


def test_optional_enrollment_and_a_reset_are_not_changed_by_deadlines(
    policy, set_policy, finance, make_user
):
    alice = make_user(role=finance)
    set_rule(finance, DueRule(WITHIN_DAYS, days=14))
    ReenrollmentDue.objects.create(user=alice, since=DAY0)
    assert step(alice, policy, DAY0) is NextStep.ENROLL  # a reset user enrolls at once
    set_policy(enrollment_required=False)
    assert step(alice, policy, DAY0) is NextStep.ENROLL_OPTIONAL  # site-wide Optional wins


def test_a_rule_change_is_audited_with_the_settings(policy, finance, make_user):
    set_rule(finance, DueRule(WITHIN_DAYS, days=14, snooze_limit=3))
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"]["due:Finance"] == [
        "at the next sign-in",
        "within 14 days, remind me later at most 3 times",
    ]
    assert event.detail["changes"]["role:Finance"] == ["not required", "required"]


def test_a_rule_that_cannot_be_kept_is_refused_whole(policy, finance):
    with pytest.raises(SettingsError) as refused:
        set_rule(finance, DueRule(WITHIN_DAYS, days=0))
    assert refused.value.errors == {
        f"due_rule_{finance.pk}": ["Enter a number of days from 1 to 365."]
    }
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule) == (False, NEXT_SIGNIN)


def test_a_date_past_the_last_due_day_is_refused(policy, finance):
    # the end of 9999-12-31 is past what a datetime holds: the role could never require 2FA
    with pytest.raises(SettingsError) as refused:
        set_rule(finance, DueRule(BY_DATE, by=date(9999, 12, 31)))
    assert refused.value.errors == {f"due_rule_{finance.pk}": ["Choose a date up to 2999-12-31."]}


def test_a_rule_change_costs_the_same_statements_for_3_or_30_users(policy, make_role, make_user):
    def statements(role_name: str, users: int) -> int:
        role = make_role(role_name, requires_2fa=False)
        for _ in range(users):
            make_user(role=role)
        with CaptureQueriesContext(connection) as captured:
            set_rule(role, DueRule(WITHIN_DAYS, days=14))
        assert EnrollmentDeadline.objects.filter(user__role=role).count() == users
        set_rule(role, DueRule(), requires=False)  # the next measure sees as many roles
        return len(captured)

    assert statements("Few", 3) == statements("Many", 30)
