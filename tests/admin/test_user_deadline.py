"""The per-user 2FA view: the user's enrollment due date, and an administrator extending it with
a reason (audited), refusals shown on the page."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core.deadlines import WITHIN_DAYS, DueRule
from portal2fa.twofactor.models import EnrollmentDeadline
from portal2fa.twofactor.services.settings import settings_update

from .helpers import plain, text

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def waiting(policy, make_role, make_user):
    finance = make_role("Finance", requires_2fa=False)
    user = make_user("fin@example.com", role=finance, name="Fay Finance")
    settings_update(
        actor=None,
        changes={},
        at=DAY0,
        role_deadlines={str(finance.pk): DueRule(WITHIN_DAYS, days=14, snooze_limit=3)},
        role_requirements={str(finance.pk): True},
    )
    return user


@pytest.fixture
def on_day():
    """on_day(client, admin, day): the clock on `day` after DAY0 until the test ends, the
    administrator signed in then (a session from today would have expired by 2027)."""
    travels = []

    def travel(client, admin, day: float):
        travels.append(time_machine.travel(DAY0 + timedelta(days=day), tick=False))
        travels[-1].start()
        client.force_login(admin)

    yield travel
    for started in reversed(travels):
        started.stop()


def page_of(client, user):
    return client.get(reverse("twofactor:setup-user", args=[user.pk]))


def section(response) -> str:
    page = text(response)
    start = page.index('data-testid="user-deadline"')
    return plain(page[start : page.index("</section>", start)])


def test_the_view_shows_the_due_date_days_left_and_snoozes(client, admin_user, waiting, on_day):
    on_day(client, admin_user, 4)
    shown = section(page_of(client, waiting))
    assert "Due 2027-03-15 · 10 days left" in shown
    assert '"Remind me later" used 0 of 3' in shown


def test_an_overdue_user_says_by_how_many_days(client, admin_user, waiting, on_day):
    on_day(client, admin_user, 16.1)
    assert "3 days overdue" in section(page_of(client, waiting))


def test_an_extension_moves_the_date_and_is_audited(client, waiting, admin_user, on_day):
    url = reverse("twofactor:setup-user-extend", args=[waiting.pk])
    on_day(client, admin_user, 1)
    response = client.post(url, {"days": "7", "until": "", "reason": "On leave"}, follow=True)
    assert "Fay Finance is now due 2027-03-22." in text(response)
    assert "extended" in section(response)
    assert EnrollmentDeadline.objects.get(user=waiting).due_at == DAY0 + timedelta(days=21)
    event = AuditEvent.objects.get(action=Action.DEADLINE_EXTENDED)
    assert (event.actor, event.target, event.detail["reason"]) == (admin_user, waiting, "On leave")
    assert "Enrollment due date extended" in text(response)  # among the user's recent events


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "7", "reason": ""}, "Give a reason: it goes to the audit log."),
        ({"days": "", "until": "", "reason": "x"}, "Give either a number of days or a date."),
        ({"days": "3", "until": "2027-04-01", "reason": "x"}, "Give either a number of days"),
        ({"days": "0", "reason": "x"}, "greater than or equal to 1"),
        ({"until": "2027-03-02", "reason": "x"}, "Choose a date after the current due date"),
        ({"until": "next week", "reason": "x"}, "Enter a date as YYYY-MM-DD."),
        ({"until": "9999-12-31", "reason": "x"}, "Choose a date up to 2999-12-31."),
    ],
)
def test_a_refused_extension_says_why_on_the_page(
    client, admin_user, waiting, data, message, on_day
):
    url = reverse("twofactor:setup-user-extend", args=[waiting.pk])
    on_day(client, admin_user, 1)
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    assert EnrollmentDeadline.objects.get(user=waiting).due_at == DAY0 + timedelta(days=14)
    assert not AuditEvent.objects.filter(action=Action.DEADLINE_EXTENDED).exists()


def test_enrolled_and_free_users_show_no_due_date(admin_client, enrolled, make_role, make_user):
    free = make_user(role=make_role("Readers", requires_2fa=False))
    for user in (enrolled.user, free):
        assert 'data-testid="user-deadline"' not in text(page_of(admin_client, user))


def test_a_user_due_at_the_next_signin_can_be_given_a_date(admin_client, user, policy):
    page = page_of(admin_client, user)  # Staff requires 2FA at the next sign-in
    assert "Due At the next sign-in" in section(page)
    url = reverse("twofactor:setup-user-extend", args=[user.pk])
    admin_client.post(url, {"days": "5", "reason": "new starter"})
    assert EnrollmentDeadline.objects.filter(user=user).exists()


def test_only_administrators_extend(client, make_user, waiting):
    client.force_login(make_user("someone@example.com"))
    url = reverse("twofactor:setup-user-extend", args=[waiting.pk])
    assert client.post(url, {"days": "7", "reason": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_extending_nobody_is_404(admin_client, db):
    url = reverse("twofactor:setup-user-extend", args=[999999])
    assert admin_client.post(url, {"days": "7", "reason": "x"}).status_code == 404


def test_the_demo_role_list_says_when_each_requiring_role_wants_its_users_enrolled(
    admin_client, waiting, make_role
):
    make_role("Staff", requires_2fa=True)
    page = text(admin_client.get(reverse("accounts:setup-roles")))
    assert "Required, within 14 days, remind me later at most 3 times" in page
    assert "Required, at the next sign-in" in page  # Staff: the default rule
