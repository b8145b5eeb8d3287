"""The rollout's levers over the API, through the same services as the pages: Temporary Access
Passes (issue, revoke), due dates (extend) and the overdue filter; counted in /metrics."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import EnrollmentDeadline, TemporaryAccessPass
from portal2fa.twofactor.services.enrollment import enrollment_begin

from .test_api import problem


def test_a_pass_is_issued_shown_once_and_revoked(
    api, make_token, enrolled, django_capture_on_commit_callbacks
):
    desk = api(make_token("passes", name="helpdesk"))
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"users/{enrolled.user.pk}/access-pass", {"minutes": 30})
    assert response.status_code == 201, response.content
    shown = response.json()["access_pass"]
    stored = TemporaryAccessPass.objects.get(user=enrolled.user)
    assert shown not in str(list(TemporaryAccessPass.objects.values()))  # only its keyed hash
    assert stored.expires_at == pytest.approx(
        timezone.now() + timedelta(minutes=30), abs=timedelta(seconds=30)
    )
    issued = AuditEvent.objects.get(action=Action.ACCESS_PASS_ISSUED)
    assert issued.actor_token == "helpdesk" and shown not in str(issued.detail)
    assert len(mail.outbox) == 1 and enrolled.user.email in mail.outbox[0].to
    assert desk.get(f"users/{enrolled.user.pk}").status_code == 403  # a passes-only token
    detail = api(make_token("read")).get(f"users/{enrolled.user.pk}").json()
    assert detail["access_pass_expires_at"] is not None


def test_revoke_and_refusals(api, make_token, enrolled, client):
    token = make_token("passes")
    desk = api(token)
    url = f"/api/two-factor/v1/users/{enrolled.user.pk}/access-pass"
    auth = {"Authorization": f"Bearer {token}"}
    assert problem(client.delete(url, headers=auth), 409)["detail"].endswith("to revoke.")
    assert desk.post(f"users/{enrolled.user.pk}/access-pass").status_code == 201
    assert client.delete(url, headers=auth).status_code == 200
    assert AuditEvent.objects.get(action=Action.ACCESS_PASS_REVOKED).actor_token == "passes"
    assert problem(desk.post(f"users/{enrolled.user.pk}/access-pass", {"minutes": 5}), 422)
    assert problem(api(make_token("reset")).post(f"users/{enrolled.user.pk}/access-pass"), 403)


def test_an_idempotency_key_issues_one_pass(api, make_token, enrolled, client):
    token = make_token("passes")
    url = f"/api/two-factor/v1/users/{enrolled.user.pk}/access-pass"
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "ticket-4711-1"}
    first = client.post(url, "{}", content_type="application/json", headers=headers)
    again = client.post(url, "{}", content_type="application/json", headers=headers)
    assert first.status_code == 201 and problem(again, 409)
    assert TemporaryAccessPass.objects.filter(user=enrolled.user).count() == 1


def test_a_due_date_is_extended_with_a_reason(api, make_token, user, policy):
    enrollment_begin(user=user, at=timezone.now())
    desk = api(make_token("reset", name="helpdesk"))
    refused = desk.post(f"users/{user.pk}/due-date", {"reason": "", "days": 7})
    assert "reason" in problem(refused, 422)["detail"]
    response = desk.post(f"users/{user.pk}/due-date", {"reason": "on leave", "days": 7})
    assert response.status_code == 200, response.content
    due = EnrollmentDeadline.objects.get(user=user).due_at
    assert due > timezone.now() + timedelta(days=6)
    event = AuditEvent.objects.get(action=Action.DEADLINE_EXTENDED)
    assert event.actor_token == "helpdesk" and event.detail["reason"] == "on leave"
    assert api(make_token("read")).get(f"users/{user.pk}").json()["due_at"] is not None


def test_the_overdue_filter(api, make_token, make_user, enroll, policy):
    now = timezone.now()
    late, early, done = (make_user(f"{n}@example.com") for n in ("late", "early", "done"))
    enroll(done)
    for who, due in (
        (late, now - timedelta(days=2)),
        (early, now + timedelta(days=2)),
        (done, now - timedelta(days=9)),
    ):
        EnrollmentDeadline.objects.create(user=who, starts_at=now - timedelta(days=20), due_at=due)
    listed = api(make_token("read")).get("users", overdue="true").json()["users"]
    assert [row["email"] for row in listed] == ["late@example.com"]


def test_passes_are_counted_in_the_metrics(api, make_token, enrolled, client):
    api(make_token("passes")).post(f"users/{enrolled.user.pk}/access-pass")
    text = client.get(
        "/metrics", headers={"Authorization": f"Bearer {make_token('read')}"}
    ).content.decode()
    assert 'portal2fa_access_passes_total{outcome="issued"} 1.0' in text


def test_the_reminders_of_a_run_are_counted(client, make_token, policy, make_user):
    """A `portal2fa remind` run's reminders (not audited one by one: a signal per batch) add to
    portal2fa_reminders_total."""
    from portal2fa.twofactor.services.reminders import reminders_run

    now = timezone.now()
    for n in range(3):
        EnrollmentDeadline.objects.create(
            user=make_user(f"due{n}@example.com"),
            starts_at=now - timedelta(days=30),
            due_at=now + timedelta(hours=2),  # today: the day-0 reminder is owed
        )
    assert reminders_run(now=now).sent == 3
    text = client.get("/metrics", headers={"Authorization": f"Bearer {make_token('read')}"})
    assert "portal2fa_reminders_total 3.0" in text.content.decode()
