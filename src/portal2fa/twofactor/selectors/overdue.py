"""Users who must enroll by a due date (EnrollmentDeadline): active, not Enrolled. Overdue: the due
date has passed. Walked through the index on `due_at`, so the Overview's "Overdue and due soon",
its counts and the reminder run read only the dates in their window, whatever the population."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from ..adapter import get_adapter
from ..machinery.local_days import local_day
from ..models import Authenticator, EnrollmentDeadline
from .plans import serial_plan

DUE_SOON_DAYS = 7  # the Overview lists who is due within a week, beside the overdue
COUNT_CAP = 1000  # the Overview counts the overdue up to this many (see overdue_counts)


def must_enroll() -> QuerySet[EnrollmentDeadline]:
    """Deadlines of active users who are not Enrolled (Not Started or Pending)."""
    # EXISTS per deadline, not "user IN (active users)": walking the dates, each row probes a
    # primary key, where SQLite built the list of every active user first
    active = get_adapter().active_users().order_by().filter(pk=OuterRef("user_id"))
    enrolled = Authenticator.objects.filter(user_id=OuterRef("user_id"), confirmed_at__isnull=False)
    return EnrollmentDeadline.objects.filter(Exists(active)).filter(~Exists(enrolled))


def with_people(deadlines: QuerySet[EnrollmentDeadline]) -> QuerySet[EnrollmentDeadline]:
    """The users beside their deadlines, read through the adapter's own queryset (so what it
    selects with a user, a role, comes along) and with their Groups when the model has them: a
    fixed number of queries per page or chunk, never one per row."""
    users = get_adapter().users()
    if hasattr(get_user_model(), "groups"):
        users = users.prefetch_related("groups")
    return deadlines.prefetch_related(Prefetch("user", queryset=users))


def overdue_and_due_soon(*, now: datetime) -> QuerySet[EnrollmentDeadline]:
    """Overdue users, then those due within DUE_SOON_DAYS, the earliest due date first."""
    soon = now + timedelta(days=DUE_SOON_DAYS)
    return with_people(must_enroll().filter(due_at__lt=soon)).order_by("due_at", "user_id")


def overdue_counts(*, now: datetime) -> dict[str, int]:
    """{"overdue": n, "due_soon": m}, each counted up to COUNT_CAP + 1 (more than COUNT_CAP shows
    as "1000+"): a rollout past its date can leave a hundred thousand users overdue, and a full
    count would join every one of them on each Overview load. Two queries over the index on
    the dates, each stopping at the cap."""
    soon = now + timedelta(days=DUE_SOON_DAYS)
    windows = {"overdue": Q(due_at__lt=now), "due_soon": Q(due_at__gte=now, due_at__lt=soon)}
    with serial_plan():
        return {
            name: must_enroll().filter(window).order_by("due_at")[: COUNT_CAP + 1].count()
            for name, window in windows.items()
        }


def capped(count: int) -> str:
    """A count of overdue_counts as shown: "1000+" past the cap."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def days_overdue(due_at: datetime | None, *, now: datetime) -> int | None:
    """Whole calendar days (TIME_ZONE) since the due date's day (local_day: "by 11 March" is one
    day overdue on 12 March); 0 when it passed today; None when it has not passed (or there is
    none)."""
    if due_at is None or due_at >= now:
        return None
    return max(0, (timezone.localdate(now) - local_day(due_at)).days)
