"""Reminder e-mails to users who must enroll by a due date.

`reminders_run` (`portal2fa remind`, from cron or a systemd timer, on any number of nodes): for
each user whose reminder offset (the Settings tab's days before the due date) has arrived, it
claims the reminder by inserting a row that the unique constraint on (user, due date, offset) lets
exist once — `INSERT … ON CONFLICT DO NOTHING RETURNING`, so of two racing runs only one gets the
row back — commits the claim, and only then sends. A reminder is therefore sent at most once: a
mail that fails keeps its claimed row marked `failed` and is not retried by later runs (the user's
2FA view shows it; an administrator may send one now).

`reminder_send` ("Send a reminder now", one user or a filtered list): at most one reminder of any
kind per user in MANUAL_GAP_HOURS, decided under the per-user lock, audited.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.dispatch import Signal
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ..adapter import DefaultAdapter, HostUser, get_adapter
from ..conf import setting
from ..core.reminders import offset_due
from ..formats import local_date
from ..machinery.code_budget import user_guard
from ..machinery.local_days import local_day
from ..machinery.mail import user_mail
from ..messages import reminder_body, reminder_subject
from ..models import Authenticator, EnrollmentDeadline, EnrollmentReminder, TwoFactorSettings
from ..selectors.overdue import must_enroll, with_people

logger = logging.getLogger(__name__)

BATCH = 500  # reminders claimed per transaction, then sent
MANUAL_GAP_HOURS = 24  # "Send a reminder now": not within this many hours of the last reminder
BULK_LIMIT = 100  # "Send a reminder now" to a filtered list: at most this many users per click
BULK_LOOK = 1000  # … looking at no more than this many users of the list


class ReminderError(ValueError):
    """A reminder that cannot go: the message says why."""


@dataclass(frozen=True)
class Due:
    """A reminder the run owes: `user` (with its deadline), `days_before` the due date."""

    deadline: EnrollmentDeadline
    days_before: int

    @property
    def user(self) -> HostUser:
        return self.deadline.user


@dataclass
class RunResult:
    sent: int = 0
    failed: int = 0


# Sent after a run marks a batch of reminders sent (they are not audited one by one), with
# count=: for host code and the API app's metrics.
batch_sent = Signal()


def enroll_link() -> str:
    """The absolute link of a reminder: sign in, then the enrollment page."""
    base = (setting("PORTAL2FA_BASE_URL") or "").rstrip("/")
    if not base:
        raise ReminderError(
            gettext(
                "PORTAL2FA_BASE_URL is not set: reminders need the site's address for their link."
            )
        )
    query = urlencode({"next": reverse("twofactor:account-enroll")})
    login = resolve_url(settings.LOGIN_URL)
    if "://" in login:  # a sign-in elsewhere (single sign-on): its own address
        return f"{login}?{query}"
    return f"{base}{login}?{query}"


def reminders_due(*, policy: TwoFactorSettings, now: datetime) -> Iterator[Due]:
    """The reminders owed now and not yet claimed, the earliest due date first. Reads the due
    dates of the window [now, the end of today + the largest offset] only (the index on due_at)."""
    days = list(policy.reminder_days or [])
    if not policy.enabled or not days:
        return
    adapter = get_adapter()
    today = timezone.localdate(now)
    # the due dates still to come whose day (local_day: "by 11 March" is due at 12 March 00:00)
    # is in the window; one that passed this morning is overdue, not "today"
    end = timezone.make_aware(datetime.combine(today + timedelta(days=max(days) + 1), time.min))
    window = must_enroll().filter(due_at__gte=now, due_at__lte=end).order_by("due_at", "user_id")
    chunk: list[Due] = []
    for deadline in with_people(window).iterator(chunk_size=BATCH):
        offset = offset_due(days, (local_day(deadline.due_at) - today).days)
        if offset is not None:
            chunk.append(Due(deadline, offset))
        if len(chunk) == BATCH:
            yield from _unclaimed(chunk, adapter)
            chunk = []
    yield from _unclaimed(chunk, adapter)


def _unclaimed(chunk: list[Due], adapter: DefaultAdapter) -> Iterator[Due]:
    """The reminders of `chunk` not claimed by an earlier run (one query), for users who still
    must use 2FA and have an address."""
    if not chunk:
        return
    claimed = set(
        EnrollmentReminder.objects.filter(
            user_id__in=[due.deadline.user_id for due in chunk], days_before__isnull=False
        ).values_list("user_id", "due_at", "days_before")
    )
    for due in chunk:
        key = (due.deadline.user_id, due.deadline.due_at, due.days_before)
        if key in claimed:
            continue
        if adapter.notice_recipients(due.user) and adapter.user_requires_2fa(due.user):
            yield due


def _claim(batch: list[Due], *, now: datetime) -> dict[tuple[int, int], int]:
    """Insert the batch's reminder rows; {(user id, offset): row id} of those this run inserted
    (a row another run inserted first is skipped by ON CONFLICT DO NOTHING). Committed on return."""
    table = connection.ops.quote_name(EnrollmentReminder._meta.db_table)
    marks = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
    when = connection.ops.adapt_datetimefield_value
    params = []
    for due in batch:
        params += [
            due.deadline.user_id,
            when(due.deadline.due_at),
            due.days_before,
            when(now),
            False,
        ]
    # the table's name from the model, every value a parameter
    columns = "(user_id, due_at, days_before, claimed_at, failed)"
    sql = f"INSERT INTO {table} {columns} VALUES {marks} ON CONFLICT DO NOTHING"  # noqa: S608
    sql += " RETURNING id, user_id, days_before"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(user_id, days): pk for pk, user_id, days in cursor.fetchall()}


def reminders_run(*, now: datetime, progress: Any = None) -> RunResult:
    """Send every reminder owed now (see the module's docstring). `progress.add(n)` per batch."""
    from ..machinery.policy import current_policy

    link = enroll_link()
    result = RunResult()
    batch: list[Due] = []
    mail = get_connection()

    def flush() -> None:
        claimed = _claim(batch, now=now)
        sent: list[int] = []
        failed: list[int] = []
        for due in batch:
            pk = claimed.get((due.deadline.user_id, due.days_before))
            if pk is not None:
                ok = _deliver(mail, due.user, due.deadline.due_at, link=link, now=now)
                (sent if ok else failed).append(pk)
        _mark(sent, failed, now=now)
        result.sent += len(sent)
        result.failed += len(failed)
        if progress:
            progress.add(len(batch))

    for due in reminders_due(policy=current_policy(), now=now):
        batch.append(due)
        if len(batch) == BATCH:
            flush()
            batch = []
    if batch:
        flush()
    return result


def _mark(sent: list[int], failed: list[int], *, now: datetime) -> None:
    if sent:
        EnrollmentReminder.objects.filter(pk__in=sent).update(sent_at=now)
        batch_sent.send(sender=EnrollmentReminder, count=len(sent))
    if failed:
        EnrollmentReminder.objects.filter(pk__in=failed).update(failed=True)


def reminder_message(
    user: HostUser, due_at: datetime | None, *, link: str, now: datetime
) -> EmailMessage:
    """The reminder to `user`, written in their language."""
    return user_mail(
        user=user,
        write=lambda: _reminder_text(user, due_at, link=link, now=now),
        to=get_adapter().notice_recipients(user),
    )


def _reminder_text(
    user: HostUser, due_at: datetime | None, *, link: str, now: datetime
) -> tuple[str, str]:
    adapter = get_adapter()
    site = setting("PORTAL2FA_SITE_NAME")
    days = (local_day(due_at) - timezone.localdate(now)).days if due_at else 0
    date = local_date(local_day(due_at), "day") if due_at else None  # written in their language
    subject = reminder_subject(date)
    body = reminder_body(
        name=adapter.display_name(user), site=site, date=date, days=days, link=link
    )
    return subject, body


def _deliver(
    mail: BaseEmailBackend, user: HostUser, due_at: datetime | None, *, link: str, now: datetime
) -> bool:
    """Send one reminder; False (logged, one line) when the mail backend refused or failed."""
    message = reminder_message(user, due_at, link=link, now=now)
    message.connection = mail
    try:
        return bool(message.send())
    except OSError as error:  # a mail server that is down: one line, the run goes on
        logger.error("could not send the enrollment reminder to user id %s: %s", user.pk, error)
        return False


def reminders_dry_run(*, now: datetime) -> Iterator[Due]:
    """What `reminders_run` would send now, claiming nothing."""
    from ..machinery.policy import current_policy

    return reminders_due(policy=current_policy(), now=now)


def reminder_send(
    *,
    actor: HostUser | None,
    user: HostUser,
    at: datetime,
    client_address: str | None = None,
) -> EnrollmentReminder:
    """ "Send a reminder now" to one user who must enroll (active, not Enrolled): refused within
    MANUAL_GAP_HOURS of their last reminder (automatic or not), decided under the per-user lock
    so that two administrators' clicks send one. Audited. The mail goes after the commit."""
    link = enroll_link()
    adapter = get_adapter()
    with user_guard(user.pk):
        _refuse_unless_remindable(user, adapter, at=at)
        deadlines = EnrollmentDeadline.objects.filter(user_id=user.pk)
        due_at = deadlines.values_list("due_at", flat=True).first()  # None: no deadline
        reminder = EnrollmentReminder.objects.create(
            user=user, due_at=due_at, days_before=None, claimed_at=at, sent_by=actor
        )
        record(
            Action.REMINDER_SENT,
            Origin(actor, user, client_address, at),
            due=f"{local_day(due_at):%Y-%m-%d}" if due_at else "",
        )
    ok = _deliver(get_connection(), user, reminder.due_at, link=link, now=at)
    _mark([reminder.pk] if ok else [], [] if ok else [reminder.pk], now=at)
    reminder.refresh_from_db()
    return reminder


def _refuse_unless_remindable(user: HostUser, adapter: DefaultAdapter, *, at: datetime) -> None:
    name = adapter.display_name(user)
    if not getattr(user, "is_active", True):
        raise ReminderError(gettext("%(name)s is deactivated: no reminder sent.") % {"name": name})
    if Authenticator.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists():
        raise ReminderError(
            gettext("%(name)s is already enrolled: no reminder sent.") % {"name": name}
        )
    if not adapter.notice_recipients(user):
        raise ReminderError(
            gettext("%(name)s has no email address: no reminder sent.") % {"name": name}
        )
    if not adapter.user_requires_2fa(user):  # the mail would say they must enroll
        raise ReminderError(
            gettext("No role of %(name)s requires two-factor authentication: no reminder sent.")
            % {"name": name}
        )
    last = (
        EnrollmentReminder.objects.filter(user_id=user.pk)
        .order_by("-claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    if last and last > at - timedelta(hours=MANUAL_GAP_HOURS):
        again = timezone.localtime(last + timedelta(hours=MANUAL_GAP_HOURS))
        raise ReminderError(
            gettext("%(name)s was reminded at %(last)s: the next reminder can go from %(next)s.")
            % {
                "name": name,
                "last": local_date(timezone.localtime(last), "minute_here"),
                "next": local_date(again, "minute_here"),
            }
        )


@dataclass
class BulkResult:
    sent: int = 0
    skipped: int = 0
    more: bool = False  # the list holds more users than one click reminds


def reminders_send(
    *,
    actor: HostUser | None,
    users: Iterable[HostUser],
    at: datetime,
    client_address: str | None = None,
) -> BulkResult:
    """ "Send a reminder now" to the users of a filtered list, in list order: up to BULK_LIMIT
    reminders per call; a user reminded within MANUAL_GAP_HOURS (or enrolled meanwhile) is skipped
    and does not count. Each reminder is its own transaction and audit event."""
    enroll_link()  # no address for the link: refuse the whole list at once
    result = BulkResult()
    for looked, user in enumerate(users):
        if result.sent == BULK_LIMIT or looked == BULK_LOOK:
            result.more = True
            break
        try:
            reminder_send(actor=actor, user=user, at=at, client_address=client_address)
        except ReminderError:
            result.skipped += 1
        else:
            result.sent += 1
    return result
