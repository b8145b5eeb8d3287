"""Enrollment reminders: the offsets of the Settings tab, at most once per user and offset, the dry
run, a failed send, the link, "Send a reminder now" (throttled, audited) and the command."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.cli import main
from portal2fa.twofactor.core import reminders
from portal2fa.twofactor.machinery.local_days import end_of_day
from portal2fa.twofactor.models import EnrollmentDeadline, EnrollmentReminder, RoleType
from portal2fa.twofactor.services.enrollment import enrollment_begin
from portal2fa.twofactor.services.reminders import (
    MANUAL_GAP_HOURS,
    ReminderError,
    reminder_send,
    reminders_dry_run,
    reminders_run,
    reminders_send,
)

# Noon UTC (TIME_ZONE is UTC in the tests): calendar days are whole days from here.
NOON = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def due(policy, make_user, make_role):
    """make(email, days) -> a Finance user (2FA required) due `days` days after NOON at 15:00."""
    finance = make_role("Finance", RoleType.EMPLOYEE, requires_2fa=True)

    def make(email, days, *, role=None, active=True):
        user = make_user(email, role=role or finance, active=active)
        EnrollmentDeadline.objects.create(
            user=user,
            starts_at=NOON - timedelta(days=30),
            due_at=NOON.replace(hour=15) + timedelta(days=days),
        )
        return user

    return make


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_parse_days_reads_the_settings_text():
    assert reminders.parse_days("7, 2,1 ,0") == [7, 2, 1, 0]
    assert reminders.parse_days("1, 7, 7") == [7, 1]
    assert reminders.parse_days("") == []
    for bad in ("seven", "-1", "91", "1.5"):
        with pytest.raises(ValueError):
            reminders.parse_days(bad)
    # the nearest offset reached; none before the first or after the due date
    days = [7, 2, 1, 0]
    assert [reminders.offset_due(days, left) for left in (9, 7, 5, 2, 1, 0, -1)] == [
        None,
        7,
        7,
        2,
        1,
        0,
        None,
    ]


def test_each_offset_goes_once_and_a_missed_one_is_not_sent_late(due):
    in_week, in_two, today = (
        due("week@example.com", 7),
        due("two@example.com", 2),
        due("today@example.com", 0),
    )
    due("later@example.com", 8)  # before its first offset
    result = reminders_run(now=NOON)
    assert (result.sent, result.failed) == (3, 0)
    assert sent_to() == ["today@example.com", "two@example.com", "week@example.com"]
    rows = {(r.user_id, r.days_before) for r in EnrollmentReminder.objects.all()}
    assert rows == {(in_week.pk, 7), (in_two.pk, 2), (today.pk, 0)}
    assert all(r.sent_at == NOON for r in EnrollmentReminder.objects.all())

    assert reminders_run(now=NOON + timedelta(minutes=5)).sent == 0  # cron again: nothing new
    assert len(mail.outbox) == 3
    # Five days on: "week" is 2 days from its date, "later" 3 (its 7-day one), "two" is past.
    mail.outbox.clear()
    assert reminders_run(now=NOON + timedelta(days=5)).sent == 2
    assert sent_to() == ["later@example.com", "week@example.com"]
    assert EnrollmentReminder.objects.filter(user=in_week, days_before=2).exists()


def test_a_by_date_is_reminded_on_its_own_day_not_the_day_after(policy, make_user, make_role):
    """ "By 11 March" is due at the first moment of 12 March: the reminders count to 11 March and
    the mail names it (as the enrollment step and the user's 2FA view do)."""
    finance = make_role("Finance", RoleType.EMPLOYEE, requires_2fa=True)
    by = NOON.date() + timedelta(days=7)
    user = make_user("by@example.com", role=finance)
    EnrollmentDeadline.objects.create(
        user=user, starts_at=NOON - timedelta(days=30), due_at=end_of_day(by)
    )
    assert reminders_run(now=NOON).sent == 1  # a week before 11 March
    assert mail.outbox[-1].subject == f"Set up two-factor authentication by {by:%Y-%m-%d}"
    assert "(in 7 days)" in mail.outbox[-1].body
    on_the_day = reminders_run(now=NOON + timedelta(days=7))
    assert on_the_day.sent == 1 and "(today)" in mail.outbox[-1].body
    assert reminders_run(now=NOON + timedelta(days=8)).sent == 0  # overdue: no more reminders
    assert sorted(EnrollmentReminder.objects.values_list("days_before", flat=True)) == [0, 7]


def test_no_reminder_once_the_due_moment_has_passed_the_same_day(due):
    """Due this morning, run at noon: overdue already, so no "by today" mail."""
    morning = due("morning@example.com", 0)
    EnrollmentDeadline.objects.filter(user=morning).update(due_at=NOON - timedelta(hours=3))
    due("evening@example.com", 0)  # 15:00 today: still to come
    assert reminders_run(now=NOON).sent == 1
    assert sent_to() == ["evening@example.com"]


def test_a_run_that_missed_offsets_sends_only_the_current_one(due):
    missed = due("missed@example.com", 1)  # the 7- and 2-day reminders were never sent
    assert reminders_run(now=NOON).sent == 1
    assert list(missed.portal2fa_reminders.values_list("days_before", flat=True)) == [1]


def test_the_settings_offsets_decide(due, policy):
    due("five@example.com", 5)
    policy.reminder_days = [5]
    policy.save()
    assert reminders_run(now=NOON).sent == 1
    policy.reminder_days = []  # no reminders
    policy.save()
    due("zero@example.com", 0)
    assert reminders_run(now=NOON).sent == 0


def test_who_is_not_reminded(due, make_role, enroll, policy, make_user):
    enroll(due("enrolled@example.com", 1))
    due("inactive@example.com", 1, active=False)
    due("norole@example.com", 1, role=make_role("Sales", requires_2fa=False))
    make_user("nodeadline@example.com")
    pending = due("pending@example.com", 1)
    enrollment_begin(user=pending, at=NOON - timedelta(days=1))
    assert reminders_run(now=NOON).sent == 1
    assert sent_to() == ["pending@example.com"]
    policy.enabled = False
    policy.save()
    due("off@example.com", 1)
    assert reminders_run(now=NOON).sent == 0


def test_the_mail_has_an_absolute_link_to_sign_in_and_enroll(due):
    due("week@example.com", 7)
    reminders_run(now=NOON)
    message = mail.outbox[0]
    assert message.subject == "Set up two-factor authentication by 2031-03-11"
    assert "by 2031-03-11 (in 7 days)" in message.body
    assert "http://testserver/signin/?next=%2Faccount%2Ftwo-factor%2Fenroll%2F" in message.body


def test_dry_run_lists_and_claims_nothing(due, capsys):
    due("week@example.com", 7)
    due("today@example.com", 0)
    planned = [(d.user.email, d.days_before) for d in reminders_dry_run(now=NOON)]
    assert planned == [("today@example.com", 0), ("week@example.com", 7)]
    assert not EnrollmentReminder.objects.exists() and not mail.outbox
    status = main(["remind", "--dry-run"])
    out = capsys.readouterr().out
    assert status == 0
    # the real clock: the due dates are years away, so nothing is owed today
    assert "0 reminders would be sent (dry run: none sent)." in out


class BrokenBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")

    def open(self):
        pass

    def close(self):
        pass


def test_a_failed_send_is_recorded_and_not_retried(due):
    due("week@example.com", 7)
    with override_settings(EMAIL_BACKEND=f"{__name__}.BrokenBackend"):
        result = reminders_run(now=NOON)
    assert (result.sent, result.failed) == (0, 1)
    reminder = EnrollmentReminder.objects.get()
    assert reminder.failed and reminder.sent_at is None and reminder.outcome == "failed"
    assert reminders_run(now=NOON + timedelta(minutes=5)).sent == 0  # at most once: not retried
    assert not mail.outbox


def test_without_a_base_url_the_command_refuses(due, capsys):
    due("week@example.com", 7)
    with override_settings(PORTAL2FA_BASE_URL=""):
        status = main(["remind"])
    assert status == 2
    assert "PORTAL2FA_BASE_URL is not set" in capsys.readouterr().err
    with pytest.raises(CommandError):
        with override_settings(PORTAL2FA_BASE_URL=""):
            call_command("portal2fa", "remind")


def test_send_now_is_throttled_audited_and_refused_to_the_enrolled(due, admin_user, enroll):
    user = due("week@example.com", 20)
    reminder = reminder_send(actor=admin_user, user=user, at=NOON, client_address="192.0.2.1")
    assert reminder.sent_at == NOON and reminder.days_before is None
    assert reminder.sent_by == admin_user
    assert sent_to() == ["week@example.com"]
    event = AuditEvent.objects.get(action=Action.REMINDER_SENT)
    assert (event.actor, event.target, event.client_address) == (admin_user, user, "192.0.2.1")
    assert event.detail == {"due": "2031-03-24"}
    with pytest.raises(ReminderError, match="the next reminder can go from 2031-03-05 12:00"):
        reminder_send(actor=admin_user, user=user, at=NOON + timedelta(hours=23))
    reminder_send(actor=admin_user, user=user, at=NOON + timedelta(hours=MANUAL_GAP_HOURS))
    assert len(mail.outbox) == 2
    enroll(user)
    with pytest.raises(ReminderError, match="already enrolled"):
        reminder_send(actor=admin_user, user=user, at=NOON + timedelta(days=3))


def test_send_now_mails_no_one_whose_roles_do_not_require_2fa(
    due, admin_user, make_user, make_role
):
    """The mail says the account must be protected by 2FA: untrue for a user no role requires it
    of, who is on an unfiltered list (every active user not enrolled) all the same."""
    free = make_user("free@example.com", role=make_role("Readers", requires_2fa=False))
    with pytest.raises(ReminderError, match="No role of .* requires two-factor authentication"):
        reminder_send(actor=admin_user, user=free, at=NOON)
    must = due("must@example.com", 20)
    result = reminders_send(actor=admin_user, users=[free, must], at=NOON)
    assert (result.sent, result.skipped) == (1, 1)
    assert sent_to() == ["must@example.com"]
    assert not free.portal2fa_reminders.exists()


def test_send_now_to_a_list_skips_the_recently_reminded(due, admin_user, monkeypatch):
    from portal2fa.twofactor.services import reminders as service

    users = [due(f"u{n}@example.com", 20) for n in range(4)]
    reminder_send(actor=admin_user, user=users[0], at=NOON)
    monkeypatch.setattr(service, "BULK_LIMIT", 2)
    result = reminders_send(actor=admin_user, users=users, at=NOON)
    assert (result.sent, result.skipped, result.more) == (2, 1, True)
    assert AuditEvent.objects.filter(action=Action.REMINDER_SENT).count() == 3
