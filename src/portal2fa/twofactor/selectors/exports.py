"""What the Setup pages and the CLI export as CSV: the Overview's lists and the Audit Log."""

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation

from ...audit.selectors import audit_events
from ..adapter import get_adapter
from ..core import csv_cells
from ..core.lists import EXPORT_NAMES, OVERVIEW_LISTS
from ..machinery.policy import current_policy
from .overview import Overview
from .user_list import CSV_HEADER, UserFilter, all_users

__all__ = [
    "EXPORT_NAMES",
    "OVERVIEW_LISTS",
    "audit_csv",
    "export_csv",
    "overview_csv",
    "user_list_csv",
]
CHUNK = 2000


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Scripts read these files: the header and every cell (an action's label, a state) are
    English whatever the reader's language, the times ISO 8601 and the numbers plain. Each line
    is made in English and the language restored before it is handed on: a streamed response
    runs after the view, between other work."""
    lines = csv_cells.csv_lines((str(label) for label in header), rows)
    while True:
        with translation.override(None):  # the messages' source language: English
            line = next(lines, None)
        if line is None:
            return
        yield line


def overview_csv(name: str) -> Iterator[str]:
    overview = Overview(current_policy(), now=timezone.now())
    items = overview.items(name)
    if isinstance(items, QuerySet):
        items = items.iterator(chunk_size=CHUNK)
    spec = overview.lists[name]
    return csv_lines(spec.header, (spec.row(item).values() for item in items))


def audit_csv(filters: dict | None = None) -> Iterator[str]:
    adapter = get_adapter()

    def who(user) -> str:
        return adapter.email(user) or str(user.get_username()) if user else ""

    events = audit_events(**(filters or {})).iterator(chunk_size=CHUNK)
    header = ("Time", "Action", "Actor", "Target", "Client address", "Detail")
    rows = (
        (
            e.at,
            e.get_action_display(),
            who(e.actor) or e.actor_token_label,
            who(e.target),
            e.client_address,
            e.detail_text,
        )
        for e in events
    )
    return csv_lines(header, rows)


def export_csv(name: str, **filters) -> Iterator[str]:
    return audit_csv(filters.get("filters")) if name == "audit" else overview_csv(name)


def user_list_csv(wanted: UserFilter, *, now) -> Iterator[str]:
    """The 2FA user list of a filter (Setup, `portal2fa user list --csv`), streamed."""
    return csv_lines(CSV_HEADER, (user.csv_row() for user in all_users(wanted, now=now)))
