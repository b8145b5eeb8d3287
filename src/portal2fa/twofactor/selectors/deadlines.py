"""Reads of the enrollment due dates: the sign-in step's grace and the per-user view."""

from dataclasses import dataclass
from datetime import date, datetime

from .. import deadlines
from ..models import EnrollmentDeadline


@dataclass(frozen=True)
class Grace:
    """A user who may still postpone enrollment ("Remind me later")."""

    due_at: datetime
    days_left: int
    snoozes_left: int | None  # None: no limit

    @property
    def due_day(self) -> date:
        return deadlines.local_day(self.due_at)


def signin_grace(user, *, at: datetime) -> Grace | None:
    """The user's grace at `at`, or None: no date, the date has passed, or no snooze is left."""
    row = EnrollmentDeadline.objects.filter(user_id=user.pk, due_at__gt=at).first()
    if row is None:
        return None
    left = None if row.snooze_limit is None else row.snooze_limit - row.snoozes
    if left is not None and left <= 0:
        return None
    return Grace(row.due_at, deadlines.days_left(row.due_at, now=at), left)


@dataclass(frozen=True)
class UserDeadline:
    """One user's due date as the per-user 2FA view shows it."""

    starts_at: datetime
    due_at: datetime
    snoozes: int
    snooze_limit: int | None
    extended: bool
    days_left: int
    overdue: bool

    @property
    def due_day(self) -> date:
        return deadlines.local_day(self.due_at)


def user_deadline(pk, *, now: datetime) -> UserDeadline | None:
    row = EnrollmentDeadline.objects.filter(user_id=pk).first()
    if row is None:
        return None
    return UserDeadline(
        starts_at=row.starts_at,
        due_at=row.due_at,
        snoozes=row.snoozes,
        snooze_limit=row.snooze_limit,
        extended=row.extended_until is not None and row.extended_until >= row.due_at,
        days_left=deadlines.days_left(row.due_at, now=now),
        overdue=row.due_at <= now,
    )
