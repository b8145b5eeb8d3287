"""When a Security Role that requires 2FA wants its users enrolled: the due rule, as values.

No database here: the rule, its checks, its wording and the moment it gives for a user. The
services (services/deadlines.py) apply it to users set-based; the adapters store it per role.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

NEXT_SIGNIN = "next_signin"  # the seed's behaviour: enroll at the next sign-in
BY_DATE = "by_date"
WITHIN_DAYS = "within_days"
KINDS = {
    NEXT_SIGNIN: "At the next sign-in",
    BY_DATE: "By a date",
    WITHIN_DAYS: "Within a number of days",
}
GRACE_DAYS_MAX = 365
SNOOZE_LIMIT_MAX = 30
EXTEND_DAYS_MAX = 365
# Far off, yet the end of it plus an extension still fits in a datetime (year 9999 would not)
LAST_DUE_DAY = date(2999, 12, 31)
TOO_LATE = f"Choose a date up to {LAST_DUE_DAY.isoformat()}."


class RuleError(ValueError):
    """A due rule that cannot be kept; the message is safe to show."""


@dataclass(frozen=True)
class DueRule:
    kind: str = NEXT_SIGNIN
    by: date | None = None  # BY_DATE: enrolled by the end of this day (TIME_ZONE)
    days: int | None = None  # WITHIN_DAYS: days from when the requirement reached the user
    snooze_limit: int | None = None  # "Remind me later" at most this often; None: no limit

    def cleaned(self) -> "DueRule":
        """The rule with what its kind does not use dropped; RuleError when it cannot be kept."""
        if self.kind not in KINDS:
            raise RuleError(f"The due rule is one of: {', '.join(KINDS)}.")
        limit = self.snooze_limit
        if limit is not None and not 0 <= limit <= SNOOZE_LIMIT_MAX:
            raise RuleError(f"Remind me later: at most {SNOOZE_LIMIT_MAX} times, or no limit.")
        if self.kind == BY_DATE and self.by is None:
            raise RuleError("Enter the date by which users must be enrolled.")
        if self.kind == BY_DATE and self.by > LAST_DUE_DAY:
            raise RuleError(TOO_LATE)
        if self.kind == WITHIN_DAYS and not (
            isinstance(self.days, int) and 1 <= self.days <= GRACE_DAYS_MAX
        ):
            raise RuleError(f"Enter a number of days from 1 to {GRACE_DAYS_MAX}.")
        return DueRule(
            kind=self.kind,
            by=self.by if self.kind == BY_DATE else None,
            days=self.days if self.kind == WITHIN_DAYS else None,
            snooze_limit=limit,
        )

    @property
    def gives_grace(self) -> bool:
        return self.kind != NEXT_SIGNIN

    def describe(self) -> str:
        """'at the next sign-in', 'by 2027-03-01', 'within 14 days' (+ the snooze limit)."""
        if self.kind == BY_DATE:
            text = f"by {self.by.isoformat()}"
        elif self.kind == WITHIN_DAYS:
            text = f"within {_days(self.days)}"
        else:
            return "at the next sign-in"
        if self.snooze_limit is not None:
            text += f", remind me later at most {_times(self.snooze_limit)}"
        return text

    def as_json(self) -> dict:
        return {
            "rule": self.kind,
            "date": self.by.isoformat() if self.by else None,
            "days": self.days,
            "snooze_limit": self.snooze_limit,
        }


PAST_DATE = "Choose a date from today on."


def past_date(new: "DueRule", old: "DueRule | None", *, today: date) -> bool:
    """A new "by a date" in the past: refused, as it would make every waiting user overdue at
    once (a role keeping the date it had is left alone)."""
    return bool(new.by and new.by < today and (old is None or new.by != old.by))


def end_of_day(day: date) -> datetime:
    """The first moment after `day` in the site's time zone: "by 1 March" means all of 1 March."""
    return timezone.make_aware(
        datetime.combine(day + timedelta(days=1), time.min), timezone.get_default_timezone()
    )


def local_day(moment: datetime) -> date:
    """The day a due moment closes, as people read it (end_of_day's inverse)."""
    return timezone.localtime(moment - timedelta(microseconds=1)).date()


def days_left(due_at: datetime, *, now: datetime) -> int:
    """Whole days until `due_at`, rounded up: 0 once it has passed."""
    seconds = (due_at - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
