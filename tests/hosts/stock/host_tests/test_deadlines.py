"""Due dates with the default adapter: Groups as Security Roles, a user in several of them (the
strictest wins), joining and leaving a Group from either side, the Django admin's read-only view."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group

from portal2fa.twofactor.core.deadlines import BY_DATE, WITHIN_DAYS, DueRule
from portal2fa.twofactor.machinery.local_days import end_of_day
from portal2fa.twofactor.machinery.policy import NextStep, next_step
from portal2fa.twofactor.models import EnrollmentDeadline, GroupRole
from portal2fa.twofactor.services.settings import settings_update

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def role(name: str, rule: DueRule) -> Group:
    group = Group.objects.create(name=name)
    settings_update(
        actor=None,
        changes={},
        at=DAY0,
        role_deadlines={str(group.pk): rule},
        role_requirements={str(group.pk): True},
    )
    return group


def due(user):
    return EnrollmentDeadline.objects.get(user=user).due_at


def test_the_strictest_of_a_users_groups_wins(policy, make_user):
    slow = role("Slow", DueRule(WITHIN_DAYS, days=30, snooze_limit=5))
    fast = role("Fast", DueRule(BY_DATE, by=DAY0.date() + timedelta(days=9), snooze_limit=2))
    with time_machine.travel(DAY0, tick=False):
        kim = make_user("kim", groups=[slow])
    assert due(kim) == DAY0 + timedelta(days=30)
    with time_machine.travel(DAY0 + timedelta(days=1), tick=False):
        kim.groups.add(fast)  # joining a stricter group: its date, counted from the same start
    row = EnrollmentDeadline.objects.get(user=kim)
    assert (row.starts_at, row.due_at, row.snooze_limit) == (
        DAY0,
        end_of_day(DAY0.date() + timedelta(days=9)),
        2,
    )
    with time_machine.travel(DAY0 + timedelta(days=2), tick=False):
        fast.user_set.remove(kim)  # leaving it, from the group's side
    assert due(kim) == DAY0 + timedelta(days=30)
    assert next_step(kim, policy, at=DAY0 + timedelta(days=31)) is NextStep.ENROLL
    assert next_step(kim, policy, at=DAY0 + timedelta(days=29)) is NextStep.ENROLL_LATER


def test_a_group_at_the_next_signin_among_them_leaves_no_grace(policy, make_user, staff_group):
    slow = role("Slow", DueRule(WITHIN_DAYS, days=30))
    lee = make_user("lee", groups=[slow])
    assert EnrollmentDeadline.objects.filter(user=lee).exists()
    staff_group.user_set.add(lee)  # Staff requires 2FA at the next sign-in
    assert not EnrollmentDeadline.objects.filter(user=lee).exists()
    lee.groups.clear()
    assert not EnrollmentDeadline.objects.filter(user=lee).exists()


@pytest.mark.parametrize("rule", [DueRule(WITHIN_DAYS, days=14)])
def test_the_admin_group_page_shows_the_rule_read_only(client, superuser, rule, db):
    group = role("Finance", rule)
    client.force_login(superuser)
    page = client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert "Within a number of days" in page
    assert 'name="portal2fa_role-0-due_rule"' not in page  # changed on the Settings tab only
    assert GroupRole.objects.get(group=group).grace_days == 14


def test_remind_me_later_after_the_hosts_own_login(client, policy, make_user):
    """A user held by the middleware after Django's LoginView (not Portal 2FA's sign-in page)
    reaches "Remind me later" before the due date and is then through: the held session may
    reach that step like the other second-factor pages."""
    from tests.hosts.stock.host_tests.conftest import host_login

    slow = role("Slow", DueRule(WITHIN_DAYS, days=14))
    kim = make_user("kim", groups=[slow])
    assert host_login(client, "kim").status_code == 302
    enroll = client.get("/signin/verify/", HTTP_ACCEPT="text/html")
    assert enroll.url == "/signin/enroll/"
    assert "Remind me later" in client.get(enroll.url).content.decode()
    later = client.post("/signin/remind-later/", HTTP_ACCEPT="text/html")
    assert later.status_code == 302 and "/signin/" not in later.url
    assert EnrollmentDeadline.objects.get(user=kim).snoozes == 1
    assert client.get("/admin/", HTTP_ACCEPT="text/html").status_code != 401
