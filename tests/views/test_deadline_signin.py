"""The second-factor step before and after a user's due date: "Remind me later" and the days left,
the snooze limit, and no way past it once the date has passed (clock-controlled)."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core.deadlines import WITHIN_DAYS, DueRule
from portal2fa.twofactor.models import Authenticator, EnrollmentDeadline, TwoFactorSettings
from portal2fa.twofactor.services.settings import settings_update

from .helpers import assert_no_inline_script, is_signed_in, sign_in, text

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ENROLL = reverse("twofactor:signin-enroll")
LATER = reverse("twofactor:signin-remind-later")


@pytest.fixture
def finance_user(policy, make_role, make_user):
    finance = make_role("Finance", requires_2fa=False)
    user = make_user("fin@example.com", role=finance)
    settings_update(
        actor=None,
        changes={},
        at=DAY0,
        role_deadlines={str(finance.pk): DueRule(WITHIN_DAYS, days=14, snooze_limit=3)},
        role_requirements={str(finance.pk): True},
    )
    return user


def on_day(day: float):
    return time_machine.travel(DAY0 + timedelta(days=day), tick=False)


def test_before_the_date_the_step_offers_remind_me_later_with_the_days_left(client, finance_user):
    with on_day(3):
        response = sign_in(client, finance_user.email)
        assert response.url == ENROLL
        page = client.get(ENROLL)
        shown = text(page)
        assert "11 days left" in shown and "15 March 2027" in shown
        assert "You can postpone 3 more times." in shown
        assert "Remind me later" in shown and "Skip for now" not in shown
        assert_no_inline_script(page)
        response = client.post(LATER)
        assert response.status_code == HTTPStatus.FOUND
        assert is_signed_in(client)
    assert EnrollmentDeadline.objects.get(user=finance_user).snoozes == 1
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_SNOOZED)
    assert event.target == finance_user
    # this sign-in's secret goes with the snooze: the user stays Not Started
    assert not Authenticator.objects.filter(user=finance_user).exists()


def test_a_day_15_signin_cannot_be_postponed(client, finance_user):
    with on_day(15):
        sign_in(client, finance_user.email)
        page = client.get(ENROLL)
        assert "Remind me later" not in text(page)
        assert "Your account requires a second factor" in text(page)
        refused = client.post(LATER, follow=True)
        assert "You can no longer postpone" in text(refused)
        assert not is_signed_in(client)
    assert EnrollmentDeadline.objects.get(user=finance_user).snoozes == 0


def test_the_fourth_remind_me_later_is_refused(client, finance_user):
    for day in (1, 2, 3):
        with on_day(day):
            sign_in(client, finance_user.email)
            client.post(LATER)
            assert is_signed_in(client)
            client.post(reverse("twofactor:signout"))
    with on_day(4):
        sign_in(client, finance_user.email)
        assert "Remind me later" not in text(client.get(ENROLL))
        client.post(LATER)
        assert not is_signed_in(client)
    assert EnrollmentDeadline.objects.get(user=finance_user).snoozes == 3


def test_the_last_snooze_says_so(client, finance_user):
    EnrollmentDeadline.objects.filter(user=finance_user).update(snoozes=2)
    with on_day(1):
        sign_in(client, finance_user.email)
        assert "You can postpone once more." in text(client.get(ENROLL))


def test_optional_enrollment_keeps_skip_for_now(client, finance_user):
    TwoFactorSettings.objects.filter(pk=1).update(enrollment_required=False)
    with on_day(1):
        sign_in(client, finance_user.email)
        shown = text(client.get(ENROLL))
        assert "Skip for now" in shown and "Remind me later" not in shown
        client.post(LATER)
        assert not is_signed_in(client)


def test_remind_me_later_without_a_signin_goes_to_the_password_step(client, db):
    response = client.post(LATER)
    assert response.status_code == HTTPStatus.FOUND
    assert not is_signed_in(client)
