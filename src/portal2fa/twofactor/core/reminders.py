"""Reminder offsets (days before a due date), as the Settings tab and the CLI write them. Pure:
no Django, so the model's validator, the form and the CLI share one rule."""

from collections.abc import Iterable

from .text import Refusal, gettext_noop

DEFAULT_DAYS = (7, 2, 1, 0)  # a week before, two days, the day before and on the day
MAX_DAY = 90
MAX_OFFSETS = 10


class DaysError(Refusal):
    """A refused list of reminder days."""


def parse_days(value: object) -> list[int]:
    """ "7, 2, 1, 0" (or a list) -> [7, 2, 1, 0]: whole days 0..MAX_DAY, each once, largest first.
    Raises ValueError with a message for the page or the CLI."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.replace(";", ",").split(",")]
        parts = [part for part in parts if part]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise DaysError(gettext_noop("Give days as numbers separated by commas, e.g. 7, 2, 1, 0."))
    days = []
    for part in parts:
        if isinstance(part, bool) or not (isinstance(part, int) or str(part).isdecimal()):
            raise DaysError(
                gettext_noop("%(part)s is not a whole number of days (0 means on the due date)."),
                part=repr(part),
            )
        day = int(part)
        if day > MAX_DAY:
            raise DaysError(gettext_noop("At most %(max)s days before the due date."), max=MAX_DAY)
        days.append(day)
    if len(set(days)) > MAX_OFFSETS:
        raise DaysError(gettext_noop("At most %(max)s reminders."), max=MAX_OFFSETS)
    return sorted(set(days), reverse=True)


def format_days(days: Iterable[int]) -> str:
    return ", ".join(str(day) for day in days)


def offset_due(days: list[int], days_left: int) -> int | None:
    """The reminder that applies when the due date is `days_left` calendar days away: the
    nearest offset already reached (a run that missed the 7-day one sends the 2-day one, never
    both). None before the first offset, after the due date, or without offsets."""
    reached = [day for day in days if day >= days_left]
    return min(reached) if reached and days_left >= 0 else None
