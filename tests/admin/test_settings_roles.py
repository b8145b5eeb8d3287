"""The Settings tab's card per Security Role: its due rule and snooze limit beside its requirement,
methods and "always require"; every control named after its role; a refused form marks the roles
with unsaved changes (without JS too)."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import EnrollmentDeadline

from .helpers import plain, role_card, text
from .test_settings_tab import URL, form_data


@pytest.fixture
def finance(make_role):
    return make_role("Finance", RoleType.EMPLOYEE, requires_2fa=False)


def deadline_data(role, **fields) -> dict:
    """The due-rule fields of one role as the page posts them (with its marker)."""
    data = {"deadlines_shown": "1"}
    data.update({f"{name}_{role.pk}": value for name, value in fields.items()})
    return data


def test_each_role_card_holds_every_control_named_after_the_role(admin_client, policy, finance):
    page = text(admin_client.get(reverse(URL)))
    card = plain(role_card(page, finance))
    for name in (
        "Require 2FA for Finance",
        "Always require the second factor for Finance",
        "Enrollment due for Finance",
        "Due date for Finance",
        "Days to enroll for Finance",
        "Snooze limit for Finance",
        "Email code for Finance",
        "Passkey / security key for Finance",
        "SMS code for Finance",
    ):
        assert name in card, name
    html = role_card(page, finance)
    assert re.search(r'<option value="next_signin" selected>At the next sign-in</option>', html)
    assert page.count('data-testid="role-') == 2  # Finance and the demo's Administrator
    assert page.count("Save settings</button>") == 1  # one Save for the whole page


def test_saving_a_grace_period_sets_the_users_dates_and_is_audited(
    admin_client, admin_user, policy, finance, make_user
):
    fay = make_user(role=finance)
    data = form_data(roles_requiring_2fa=[str(finance.pk)])
    data.update(deadline_data(finance, due_rule="within_days", grace_days="14", snooze_limit="3"))
    before = timezone.now()
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.FOUND
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule, finance.grace_days, finance.snooze_limit) == (
        True,
        "within_days",
        14,
        3,
    )
    row = EnrollmentDeadline.objects.get(user=fay)
    assert before + timedelta(days=14) <= row.due_at <= timezone.now() + timedelta(days=14)
    assert row.snooze_limit == 3
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.actor == admin_user
    assert event.detail["changes"]["due:Finance"] == [
        "at the next sign-in",
        "within 14 days, remind me later at most 3 times",
    ]
    page = text(admin_client.get(reverse(URL)))
    assert re.search(r'name="grace_days_\d+" value="14"', role_card(page, finance))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"due_rule": "within_days", "grace_days": ""}, "grace_days", "from 1 to 365"),
        ({"due_rule": "by_date", "due_date": ""}, "due_date", "Enter the date by which"),
        ({"due_rule": "by_date", "due_date": "2001-01-01"}, "due_date", "from today on"),
        ({"due_rule": "by_date", "due_date": "soon"}, "due_date", "Enter a date as YYYY-MM-DD."),
        ({"due_rule": "someday"}, "due_rule", "Select a valid choice."),
        ({"snooze_limit": "31"}, "snooze_limit", "less than or equal to 30"),
    ],
)
def test_a_refused_rule_is_shown_at_its_field_and_the_role_marked_unsaved(
    admin_client, policy, finance, fields, field, message
):
    data = form_data(roles_requiring_2fa=[str(finance.pk)])
    data.update(deadline_data(finance, **fields))
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    card = role_card(text(response), finance)
    error = re.search(
        rf'<p class="error" role="alert" id="id_{field}_{finance.pk}-error">(.*?)</p>', card
    )
    assert error and message in error.group(1)
    assert re.search(rf'name="{field}_{finance.pk}"[^>]*aria-invalid="true"', card)
    assert "Unsaved changes" in plain(card)
    assert "Unsaved changes: Finance." in text(response)
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule) == (False, "next_signin")
    assert not AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).exists()


def test_a_client_that_does_not_send_the_rules_leaves_them_alone(admin_client, policy, finance):
    finance.due_rule, finance.grace_days = "within_days", 30
    finance.save()
    response = admin_client.post(reverse(URL), form_data(roles_requiring_2fa=[str(finance.pk)]))
    assert response.status_code == HTTPStatus.FOUND
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule, finance.grace_days) == (True, "within_days", 30)


def test_the_page_loads_its_settings_script_and_no_inline_script(admin_client, policy):
    page = text(admin_client.get(reverse(URL)))
    assert '<script type="module" src="/static/portal2fa/settings.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "onchange=" not in page and "style=" not in page
