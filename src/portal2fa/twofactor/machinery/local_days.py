"""Due days in the site's time zone (TIME_ZONE): where the pure due rule meets Django's clock."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def end_of_day(day: date) -> datetime:
    """The first moment after `day` in the site's time zone: "by 1 March" means all of 1 March."""
    return timezone.make_aware(
        datetime.combine(day + timedelta(days=1), time.min), timezone.get_default_timezone()
    )


def local_day(moment: datetime) -> date:
    """The day a due moment closes, as people read it (end_of_day's inverse)."""
    return timezone.localtime(moment - timedelta(microseconds=1)).date()
