"""Reads of the enrollment due dates: the sign-in step's grace and the per-user view."""

from dataclasses import dataclass
from datetime import date, datetime

from ..adapter import get_adapter
from ..core import deadlines
from ..machinery import local_days
from ..models import Authenticator, EnrollmentDeadline


@dataclass(frozen=True)
class Grace:
    """A user who may still postpone enrollment ("Remind me later")."""

    due_at: datetime
    days_left: int
    snoozes_left: int | None  # None: no limit

    @property
    def due_day(self) -> date:
        return local_days.local_day(self.due_at)


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
    """One user's due date as the per-user 2FA view shows it (`due_at` None: no date, the
    requirement applies at the next sign-in)."""

    requires_2fa: bool  # a role of theirs requires 2FA
    enrolled: bool
    due_at: datetime | None = None
    starts_at: datetime | None = None
    snoozes: int = 0
    snooze_limit: int | None = None
    extended: bool = False
    days_left: int = 0
    days_overdue: int = 0

    @property
    def applies(self) -> bool:
        """Shown (and extendable) for a user who must enroll and has not."""
        return self.requires_2fa and not self.enrolled

    @property
    def due_day(self) -> date | None:
        return local_days.local_day(self.due_at) if self.due_at else None


def user_deadline(pk, *, now: datetime) -> UserDeadline | None:
    """None when there is no such user."""
    adapter = get_adapter()
    user = adapter.users().filter(pk=pk).first()
    if user is None:
        return None
    requires = adapter.user_requires_2fa(user)
    enrolled = Authenticator.objects.filter(user_id=pk, confirmed_at__isnull=False).exists()
    row = EnrollmentDeadline.objects.filter(user_id=pk).first()
    if row is None:
        return UserDeadline(requires_2fa=requires, enrolled=enrolled)
    return UserDeadline(
        requires_2fa=requires,
        enrolled=enrolled,
        due_at=row.due_at,
        starts_at=row.starts_at,
        snoozes=row.snoozes,
        snooze_limit=row.snooze_limit,
        extended=row.extended_until is not None and row.extended_until >= row.due_at,
        days_left=deadlines.days_left(row.due_at, now=now),
        days_overdue=deadlines.days_left(now, now=row.due_at),
    )
