"""The 2FA user list and reminders in a stock Django project: roles are Groups (a user may hold
several), names come from first and last name, the list reads the groups without a query per row."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import EnrollmentDeadline, GroupRole
from portal2fa.twofactor.services.reminders import reminders_run


@pytest.fixture
def admin_client(superuser):
    client = Client(headers={"Accept": "text/html"})
    client.force_login(superuser)
    assert client.get("/").status_code == HTTPStatus.OK
    return client


def test_the_list_filters_by_group_and_overdue(admin_client, policy, staff, make_user, staff_group):
    auditors = Group.objects.create(name="Auditors")
    GroupRole.objects.create(group=auditors, type="Employee", requires_2fa=True)
    both = make_user("bo", groups=[staff_group, auditors], first_name="Bo", last_name="Both")
    for n in range(5):
        make_user(f"extra{n}", groups=[auditors])
    now = timezone.now()
    EnrollmentDeadline.objects.create(user=both, starts_at=now, due_at=now - timedelta(days=2))
    url = reverse("twofactor:setup-users")
    response = admin_client.get(url, {"role": str(staff_group.pk)})
    page = response.content.decode()
    assert "sam@example.org" in page and "bo@example.org" in page and "extra0" not in page
    assert "Auditors, Staff" in page or "Staff, Auditors" in page  # every group of the user
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url, {"role": str(auditors.pk)})
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(few) == len(many) - 2  # no count from the counters for a role; rows: same cost
    overdue = admin_client.get(url, {"overdue": "1"}).content.decode()
    assert "bo@example.org" in overdue and "sam@example.org" not in overdue


@override_settings(PORTAL2FA_BASE_URL="https://host.example.org")
def test_reminders_reach_users_of_a_group_that_requires_2fa(policy, staff, make_user):
    loose = make_user("loose", groups=[])  # no group requiring 2FA: not reminded
    now = timezone.now()
    for user in (staff, loose):
        EnrollmentDeadline.objects.create(user=user, starts_at=now, due_at=now + timedelta(hours=1))
    assert reminders_run(now=now).sent == 1
    assert mail.outbox[0].to == ["sam@example.org"]
    assert "https://host.example.org/accounts/login/?next=" in mail.outbox[0].body
