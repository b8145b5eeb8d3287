"""Two reminder runs at once on PostgreSQL (two cron nodes): each reminder is claimed by one of
them (INSERT … ON CONFLICT DO NOTHING on the unique user, due date and offset), so every user gets
exactly one e-mail per offset. Runs only on PostgreSQL (see tests/conftest.py)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from portal2fa.twofactor.models import EnrollmentDeadline, EnrollmentReminder
from portal2fa.twofactor.services.reminders import reminders_run

from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOON = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


def test_two_runs_racing_send_one_email_per_user_and_offset(policy, make_user):
    users = []
    for n in range(60):  # each of the offsets 7, 2, 1 and 0 reached by a quarter of them
        user = make_user(f"racer{n}@example.com")
        days = (7, 2, 1, 0)[n % 4]
        EnrollmentDeadline.objects.create(
            user=user, starts_at=NOON - timedelta(days=30), due_at=NOON + timedelta(days=days)
        )
        users.append(user)
    results = run_together([lambda: reminders_run(now=NOON), lambda: reminders_run(now=NOON)])
    assert sum(r.sent for r in results) == 60 and sum(r.failed for r in results) == 0
    per_address = Counter(address for message in mail.outbox for address in message.to)
    assert set(per_address.values()) == {1} and len(per_address) == 60
    claimed = Counter(EnrollmentReminder.objects.values_list("user_id", "days_before"))
    assert len(claimed) == 60 and set(claimed.values()) == {1}
    # Again, racing: nothing more.
    mail.outbox.clear()
    results = run_together([lambda: reminders_run(now=NOON), lambda: reminders_run(now=NOON)])
    assert sum(r.sent for r in results) == 0 and not mail.outbox
