"""CSV exports shared by the Setup pages and the CLI. Streams rows; guards against CSV injection."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

from .audit.selectors import audit_events
from .twofactor.policy import get_settings
from .twofactor.selectors import overview

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula: make it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _no_codes(**_):
    rows = overview.users_without_codes()
    return ["Name", "Email"], ((r["name"], r["email"]) for r in rows.iterator(chunk_size=2000))


def _low_codes(**_):
    rows = overview.users_low_on_codes(get_settings().low_codes_threshold)
    return ["Name", "Email", "Remaining"], (
        (r["name"], r["email"], r["remaining"]) for r in rows.iterator(chunk_size=2000)
    )


def _recent(**_):
    rows = overview.recent_enrollments(now=timezone.now())
    return ["Name", "Email", "Enrolled Date"], (
        (r["name"], r["email"], r["enrolled_at"]) for r in rows.iterator(chunk_size=2000)
    )


def _roles(**_):
    rows = overview.roles_without_2fa(get_settings())
    return ["Role Name", "Type"], ((r["name"], r["type"]) for r in rows)


def _audit(*, filters=None):
    events = audit_events(**(filters or {}))
    return ["Time", "Action", "Actor", "Target", "Client address", "Detail"], (
        (
            e.at,
            e.get_action_display(),
            e.actor.email if e.actor else "",
            e.target.email if e.target else "",
            e.client_address,
            e.detail_text,
        )
        for e in events.iterator(chunk_size=2000)
    )


EXPORTS = {
    "no-codes": _no_codes,
    "low-codes": _low_codes,
    "recent": _recent,
    "roles-without-2fa": _roles,
    "audit": _audit,
}


def export_csv(name: str, **options) -> Iterator[str]:
    header, rows = EXPORTS[name](**options)
    return csv_lines(header, rows)
