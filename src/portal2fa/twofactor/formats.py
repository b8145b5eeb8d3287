"""How the Setup pages show dates, times and shares in the reader's language.

English keeps the forms these pages have always shown ("2026-11-28 14:05 UTC", "Nov 28"):
administrators compare them with logs and with the CSVs, which are ISO 8601. Every other language
takes its formats from Django's localization (SHORT_DATE_FORMAT, TIME_FORMAT, MONTH_DAY_FORMAT of
that locale, or of the host's FORMAT_MODULE_PATH): 28.11.2026 in German, 2026/11/28 in Japanese.
The time zone's name follows every time, as an administrator reads times from other zones."""

from datetime import datetime

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import get_language, gettext

ENGLISH = {
    "day": "Y-m-d",
    "minute": "Y-m-d H:i T",
    "minute_here": "Y-m-d H:i",  # in the site's time zone, said by the sentence around it
    "second": "Y-m-d H:i:s T",
    "month_day": "M j",
    "time": "H:i",
}
KINDS = tuple(ENGLISH)


def _local(kind: str) -> str:
    day, time = get_format("SHORT_DATE_FORMAT"), get_format("TIME_FORMAT")
    if kind == "day":
        return day
    if kind == "minute":
        return f"{day} {time} T"
    if kind == "minute_here":
        return f"{day} {time}"
    if kind == "second":  # the minutes' "i" followed by the seconds, wherever the locale puts them
        return f"{day} {time.replace('i', 'i:s', 1)} T"
    if kind == "month_day":
        return get_format("MONTH_DAY_FORMAT")
    return time


def date_format_for(kind: str) -> str:
    """The date-filter format of one kind of moment ("day", "minute", "second", "month_day",
    "time") in the active language."""
    if kind not in ENGLISH:
        raise ValueError(f"Unknown kind of date: {kind}")
    language = (get_language() or "en").lower()
    if language == "en" or language.startswith("en-"):
        return ENGLISH[kind]
    return _local(kind)


def local_date(value, kind: str) -> str:
    """The value in the active language's format of that kind; an aware moment in the site's
    time zone (as the date filter shows it in a template)."""
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_filter(value, date_format_for(kind))


def percent(value) -> str:
    """A share with one decimal, "50.3%" in English; the number and the sign's place local
    ("50,3 %" in French)."""
    return gettext("%(percent)s%%") % {"percent": floatformat(value, 1)}
