"""The Overview tab's five widgets: one object feeding the page, the JSON, the CLI and the CSV.

The counts (enrolled, pending, not started, active, no codes, low codes) are read from the counter
rows of counters.py in one small query, whatever the population: O(1). The lists filter on active
users through the denormalised Authenticator.user_active and walk partial indexes in their own
order, so a page joins the host's user table for its own rows only (see bench/overview.py). Names
and emails come from the adapter, so any user model works.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import QuerySet

from .. import counters
from ..adapter import get_adapter
from ..models import Authenticator, TwoFactorSettings

RECENT_DAYS = 30


@dataclass(frozen=True)
class EnrollmentCounts:
    active: int
    enrolled: int
    pending: int

    @property
    def not_started(self) -> int:
        return self.active - self.enrolled - self.pending

    @property
    def percent(self) -> float:
        return round(100 * self.enrolled / self.active, 1) if self.active else 0.0


@dataclass(frozen=True)
class OverviewList:
    """One list of the Overview: its CSV header and how a row reads."""

    header: tuple[str, ...]
    row: Callable[[object], dict]  # an item of the list -> {key: value}, keys in header order


def _enrolled_active() -> QuerySet[Authenticator]:
    return Authenticator.objects.filter(confirmed_at__isnull=False, user_active=True)


class Overview:
    def __init__(self, policy: TwoFactorSettings, *, now: datetime):
        self.policy, self.now = policy, now
        self.adapter = get_adapter()

    @cached_property
    def totals(self) -> dict[str, int]:
        """Every counter (counters.py), read once: one query over a few dozen rows."""
        return counters.totals()

    @cached_property
    def counts(self) -> EnrollmentCounts:
        """Enrollment Rate and Status Breakdown, from the counters."""
        t = self.totals
        return EnrollmentCounts(
            active=t.get(counters.ACTIVE, 0),
            enrolled=t.get(counters.ENROLLED, 0),
            pending=t.get(counters.PENDING, 0),
        )

    @property
    def no_codes_count(self) -> int:
        """How many rows no_codes() has, from the counters."""
        return self.totals.get(counters.codes_bucket(0), 0)

    @property
    def low_codes_count(self) -> int:
        """How many rows low_codes() has: the sum of the per-remaining counters 1..threshold, so
        a threshold change needs no recount."""
        threshold = self.policy.low_codes_threshold
        return sum(self.totals.get(counters.codes_bucket(n), 0) for n in range(1, threshold + 1))

    def count(self, name: str) -> int | None:
        """The row count of a list when a counter keeps it (else None: count the list)."""
        return {"no-codes": self.no_codes_count, "low-codes": self.low_codes_count}.get(name)

    # ---- the lists (querysets: paginated by the page, streamed by the CSV) ----
    def no_codes(self) -> QuerySet[Authenticator]:
        """Enrolled active users who had backup codes and used them all (never had: not listed).
        Most recently enrolled first: the order of an index, so a page costs the same at any size.
        """
        return (
            _enrolled_active()
            .filter(backup_codes_remaining=0, backup_codes_issued__gt=0)
            .select_related("user")
            .order_by("-confirmed_at", "-id")
        )

    def low_codes(self) -> QuerySet[Authenticator]:
        """Enrolled active users with 1..threshold backup codes left: fewest first, then newest."""
        return (
            _enrolled_active()
            .filter(
                backup_codes_remaining__gte=1,
                backup_codes_remaining__lte=self.policy.low_codes_threshold,
            )
            .select_related("user")
            .order_by("backup_codes_remaining", "-confirmed_at", "-id")
        )

    def recent(self) -> QuerySet[Authenticator]:
        """Active users who completed enrollment in the last RECENT_DAYS days, newest first."""
        since = self.now - timedelta(days=RECENT_DAYS)
        return (
            _enrolled_active()
            .filter(confirmed_at__gte=since)
            .select_related("user")
            .order_by("-confirmed_at", "-pk")
        )

    def roles_without_2fa(self) -> list:
        """Roles whose users need not use 2FA; all of them while the master switch is off."""
        roles = self.adapter.roles()
        return roles if not self.policy.enabled else [r for r in roles if not r.requires_2fa]

    @cached_property
    def lists(self) -> dict[str, OverviewList]:
        person = self._person
        return {
            "no-codes": OverviewList(("Name", "Email"), person),
            "low-codes": OverviewList(
                ("Name", "Email", "Remaining"),
                lambda a: {**person(a), "remaining": a.backup_codes_remaining},
            ),
            "recent": OverviewList(
                ("Name", "Email", "Enrolled Date"),
                lambda a: {**person(a), "enrolled_at": a.confirmed_at},
            ),
            "roles-without-2fa": OverviewList(
                ("Role Name", "Type"), lambda role: {"name": role.name, "type": role.type}
            ),
        }

    def items(self, name: str):
        return {
            "no-codes": self.no_codes,
            "low-codes": self.low_codes,
            "recent": self.recent,
            "roles-without-2fa": self.roles_without_2fa,
        }[name]()

    def rows(self, name: str, items: Iterable) -> list[dict]:
        return [self.lists[name].row(item) for item in items]

    def _person(self, authenticator: Authenticator) -> dict:
        user = authenticator.user
        return {"name": self.adapter.display_name(user), "email": self.adapter.email(user)}

    def data(self, *, limit: int = 100) -> dict:
        """The five widgets as plain data: the contract of `portal2fa overview --json` and the
        JSON endpoint."""
        counts = self.counts
        no_codes, low_codes = self.no_codes(), self.low_codes()
        no_codes_count, low_codes_count = self.no_codes_count, self.low_codes_count
        recent = self.rows("recent", self.recent()[:limit])
        return {
            "enrollment_rate": {
                "enrolled": counts.enrolled,
                "active": counts.active,
                "percent": counts.percent,
            },
            "status_breakdown": {
                "enrolled": counts.enrolled,
                "pending": counts.pending,
                "not_started": counts.not_started,
            },
            "backup_codes_health": {
                "healthy": no_codes_count == 0 and low_codes_count == 0,
                "threshold": self.policy.low_codes_threshold,
                "no_codes_count": no_codes_count,
                "low_codes_count": low_codes_count,
                "no_codes": self.rows("no-codes", no_codes[:limit]),
                "low_codes": self.rows("low-codes", low_codes[:limit]),
            },
            "recent_enrollments": [
                {**row, "enrolled_at": row["enrolled_at"].isoformat()} for row in recent
            ],
            "roles_without_2fa": self.rows("roles-without-2fa", self.roles_without_2fa()[:limit]),
        }


def overview_data(policy: TwoFactorSettings, *, now: datetime, limit: int = 100) -> dict:
    return Overview(policy, now=now).data(limit=limit)
