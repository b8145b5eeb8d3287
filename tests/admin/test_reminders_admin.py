"""Reminders for administrators: the offsets on the Settings tab (site-wide), "Send a reminder
now" on a user's 2FA view and on the filtered user list, and the last reminder on the user's view."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import EnrollmentDeadline, EnrollmentReminder, TwoFactorSettings

from .helpers import field_errors, messages_of, plain, text
from .test_settings_tab import form_data

SETTINGS = reverse("twofactor:setup-settings")


@pytest.fixture
def waiting(policy, make_user):
    """Two Staff users who must enroll, due in 10 days."""
    now = timezone.now()
    users = [make_user(f"w{n}@example.com", name=f"Wan {n}") for n in range(2)]
    for user in users:
        EnrollmentDeadline.objects.create(user=user, starts_at=now, due_at=now + timedelta(days=10))
    return users


def test_the_offsets_are_a_site_wide_setting(admin_client, policy):
    page = text(admin_client.get(SETTINGS))
    assert "Reminder e-mails (days before the due date)" in page
    assert 'value="7, 2, 1, 0"' in page
    response = admin_client.post(SETTINGS, form_data(reminder_days="14, 3,0"))
    assert response.status_code == HTTPStatus.FOUND
    assert TwoFactorSettings.objects.get().reminder_days == [14, 3, 0]
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"]["reminder_days"] == [[7, 2, 1, 0], [14, 3, 0]]
    response = admin_client.post(SETTINGS, form_data(reminder_days="soon"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_errors(response, "reminder_days") == [
        "'soon' is not a whole number of days (0 means on the due date)."
    ]
    data = form_data()
    data.pop("reminder_days", None)  # a script from before the setting keeps it
    admin_client.post(SETTINGS, data)
    assert TwoFactorSettings.objects.get().reminder_days == [14, 3, 0]


def test_send_a_reminder_now_from_the_users_view(admin_client, admin_user, waiting):
    user = waiting[0]
    view = reverse("twofactor:setup-user", args=[user.pk])
    assert "Last reminder: none yet" in plain(text(admin_client.get(view)))
    response = admin_client.post(reverse("twofactor:setup-user-remind", args=[user.pk]))
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == view
    assert [m.to for m in mail.outbox] == [["w0@example.com"]]
    page = admin_client.get(view)
    assert "Reminder sent to w0@example.com." in messages_of(page)
    assert "sent by admin@example.com" in plain(text(page))
    event = AuditEvent.objects.get(action=Action.REMINDER_SENT)
    assert (event.actor, event.target) == (admin_user, user)
    admin_client.post(reverse("twofactor:setup-user-remind", args=[user.pk]))  # throttled
    assert len(mail.outbox) == 1
    assert "the next reminder can go from" in " ".join(messages_of(admin_client.get(view)))


def test_send_a_reminder_now_to_the_filtered_list(admin_client, waiting, make_user, enroll):
    enroll(make_user("done@example.com"))
    response = admin_client.post(reverse("twofactor:setup-users-remind"), {"overdue": ""})
    assert response.status_code == HTTPStatus.FOUND
    # every active user who is not enrolled: the two waiting, and the administrator
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@example.com",
        "w0@example.com",
        "w1@example.com",
    ]
    assert EnrollmentReminder.objects.filter(sent_by__isnull=False).count() == 3
    page = admin_client.get(response["Location"])
    assert "Sent 3 reminders." in messages_of(page)
    admin_client.post(reverse("twofactor:setup-users-remind"), {"state": "enrolled"})
    assert len(mail.outbox) == 3


def test_non_administrators_cannot_send(client, make_user, waiting):
    client.force_login(make_user("staff@example.com"))
    url = reverse("twofactor:setup-user-remind", args=[waiting[0].pk])
    assert client.post(url).status_code == HTTPStatus.FORBIDDEN
    assert client.post(reverse("twofactor:setup-users-remind")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("twofactor:setup-users")).status_code == HTTPStatus.FORBIDDEN
    assert not mail.outbox
