"""The Overview tab's five widgets: one object feeding the page, the JSON, the CLI and the CSV.

Every query filters on active users through the denormalised Authenticator.user_active and reads
the backup-code counters on Authenticator, so the counts are a handful of indexed aggregates and a
list page joins the host's user table for its own rows only (see bench/overview.py). Names and
emails come from the adapter, so any user model works.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Count, Q, QuerySet

from ..adapter import get_adapter
from ..models import Authenticator, CodeGuessBudget, TwoFactorSettings

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
    def counts(self) -> EnrollmentCounts:
        """Enrollment Rate and Status Breakdown: two aggregates, neither joins users to
        authenticators."""
        active = self.adapter.active_users().count()
        states = Authenticator.objects.filter(user_active=True).aggregate(
            enrolled=Count("pk", filter=Q(confirmed_at__isnull=False)),
            pending=Count("pk", filter=Q(confirmed_at__isnull=True)),
        )
        return EnrollmentCounts(active=active, **states)

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

    def code_locked(self) -> QuerySet[CodeGuessBudget]:
        """Users whose second factor is locked by invalid codes, most recently locked first (a
        partial index): they cannot sign in until an administrator unlocks them."""
        return (
            CodeGuessBudget.objects.filter(locked_at__isnull=False)
            .select_related("user")
            .order_by("-locked_at", "-pk")
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
            "code-locked": OverviewList(
                ("Name", "Email", "Locked Since"),
                lambda b: {**person(b), "locked_at": b.locked_at},
            ),
        }

    def items(self, name: str):
        return {
            "no-codes": self.no_codes,
            "low-codes": self.low_codes,
            "recent": self.recent,
            "roles-without-2fa": self.roles_without_2fa,
            "code-locked": self.code_locked,
        }[name]()

    def rows(self, name: str, items: Iterable) -> list[dict]:
        return [self.lists[name].row(item) for item in items]

    def _person(self, item: Authenticator | CodeGuessBudget) -> dict:
        user = item.user
        return {"name": self.adapter.display_name(user), "email": self.adapter.email(user)}

    def data(self, *, limit: int = 100) -> dict:
        """The five widgets as plain data: the contract of `portal2fa overview --json` and the
        JSON endpoint."""
        counts = self.counts
        no_codes, low_codes = self.no_codes(), self.low_codes()
        no_codes_count, low_codes_count = no_codes.count(), low_codes.count()
        recent = self.rows("recent", self.recent()[:limit])
        locked = self.code_locked()
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
            "locked_by_invalid_codes": {
                "count": locked.count(),
                "users": [
                    {**row, "locked_at": row["locked_at"].isoformat()}
                    for row in self.rows("code-locked", locked[:limit])
                ],
            },
        }


def overview_data(policy: TwoFactorSettings, *, now: datetime, limit: int = 100) -> dict:
    return Overview(policy, now=now).data(limit=limit)
