"""The Overview tab's widgets: one object feeding the page, the JSON, the CLI and the CSV.

The counts (enrolled, pending, not started, active, no codes, low codes, users per method) are read
from the counter rows of machinery/counters.py in one small query, whatever the population: O(1). The two
dashboard widgets that must scan the users (adoption per Security Role, the enrollment trend) are
kept in Django's cache for PORTAL2FA_DASHBOARD_SECONDS, with the time they were counted: one load
in that time pays the scan (about a second at a million users), the others read it. The lists filter on active
users through the denormalised Authenticator.user_active and walk partial indexes in their own
order, so a page joins the host's user table for its own rows only (see bench/overview.py). Names
and emails come from the adapter, so any user model works.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from ..adapter import get_adapter
from ..conf import setting
from ..core import methods
from ..machinery import counters
from ..models import (
    Authenticator,
    CodeGuessBudget,
    EnrollmentDeadline,
    EnrollmentState,
    TwoFactorSettings,
)
from . import overdue
from .trusted import TRUSTED_SIGNIN_DAYS, trusted_signins
from .user_list import UserFilter

RECENT_DAYS = 30
TREND_WEEKS = 13  # the enrollment trend: the last 91 days, a bar per week


@dataclass(frozen=True)
class RoleAdoption:
    """Adoption in one Security Role: its active users and how many of them are enrolled."""

    id: str
    name: str
    type: str
    requires_2fa: bool
    active: int
    enrolled: int

    @property
    def percent(self) -> float:
        return round(100 * self.enrolled / self.active, 1) if self.active else 0.0


@dataclass(frozen=True)
class MethodAdoption:
    """Enrolled active users holding one method; a user with several is counted under each, so
    the shares of all methods can add up to more than 100%."""

    method: str  # methods.TOTP, methods.PASSKEY
    users: int
    enrolled: int  # all enrolled active users: the share's denominator

    @property
    def label(self) -> str:
        return gettext(methods.LABELS[self.method])

    @property
    def percent(self) -> float:
        return round(100 * self.users / self.enrolled, 1) if self.enrolled else 0.0


# The methods a user enrolls with, each with its counter. Email and SMS codes go to the account's
# own address: nothing is enrolled, so they have no counter and are not in the breakdown.
ENROLLED_METHODS = (
    (methods.TOTP, counters.METHOD_APP),
    (methods.PASSKEY, counters.METHOD_PASSKEY),
)


@dataclass(frozen=True)
class TrendWeek:
    start: date  # the first day of the week
    end: date  # the last day (today for the newest week)
    enrolled: int


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
    row: Callable[
        [Any], dict[str, Any]
    ]  # an item of the list -> {key: value}, keys in header order


def _enrolled_active() -> QuerySet[Authenticator]:
    return Authenticator.objects.filter(confirmed_at__isnull=False, user_active=True)


class Overview:
    def __init__(self, policy: TwoFactorSettings, *, now: datetime):
        self.policy, self.now = policy, now
        self.adapter = get_adapter()
        self.counted_at: datetime | None = None  # of the kept widgets (_kept)

    @cached_property
    def totals(self) -> dict[str, int]:
        """Every counter (machinery/counters.py), read once: one query over a few dozen rows."""
        return counters.totals()

    @cached_property
    def roles(self) -> list:
        """The Security Roles, read once for Adoption per Security Role and Roles Without 2FA."""
        return self.adapter.roles()

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

    def method_adoption(self) -> list[MethodAdoption]:
        """Enrolled active users per method they hold, from the counters (no further query)."""
        enrolled = self.counts.enrolled
        return [
            MethodAdoption(method, self.totals.get(counter, 0), enrolled)
            for method, counter in ENROLLED_METHODS
        ]

    def optional_methods_on(self) -> list[str]:
        """The optional methods the Settings tab switches on, in the Settings tab's order."""
        on = methods.site_methods(self.policy)
        return [method for method in methods.OPTIONAL if method in on]

    def count(self, name: str) -> int | None:
        """The row count of a list when a counter keeps it or a capped count bounds it (else
        None: count the list)."""
        if (
            name == "overdue-and-due-soon"
        ):  # its pages stop at about 2 x COUNT_CAP; the CSV does not
            return self.overdue_counts["overdue"] + self.overdue_counts["due_soon"]
        return {"no-codes": self.no_codes_count, "low-codes": self.low_codes_count}.get(name)

    def _kept(self, name: str, count: Callable[[], list]) -> list:
        """`count()`, or what it gave within PORTAL2FA_DASHBOARD_SECONDS (0: always counted now);
        `counted_at` says when the oldest of them was counted (None: on this load, uncached)."""
        seconds = setting("PORTAL2FA_DASHBOARD_SECONDS")
        if not seconds:
            return count()
        key = f"portal2fa:overview:{name}:{timezone.localdate(self.now).isoformat()}"
        kept = cache.get(key)
        if kept is None:
            kept = (count(), self.now)
            cache.set(key, kept, seconds)
        self.counted_at = min(kept[1], self.counted_at or kept[1])
        return kept[0]

    def role_adoption(self) -> list[RoleAdoption]:
        """Adoption per Security Role (_count_role_adoption), kept for a few minutes."""
        return self._kept("role-adoption", self._count_role_adoption)

    def enrollment_trend(self) -> list[TrendWeek]:
        """The enrollment trend (_count_enrollment_trend), kept for a few minutes."""
        return self._kept("trend", self._count_enrollment_trend)

    def _count_role_adoption(self) -> list[RoleAdoption]:
        """Enrolled / active users per Security Role, worst first (lowest share, then most users
        left to enroll); roles without active users last. Two queries whatever the number of
        users or roles: the roles (read once per Overview), and one grouped count over the active
        users joined to their enrollment (one row per user and role: no DISTINCT; PostgreSQL took
        minutes at a million users over the earlier `pk IN (enrolled)` filter, the join 0.35 s)."""
        lookup = self.adapter.role_lookup()
        grouped = (
            self.adapter.active_users()
            .order_by()
            .values(lookup)
            .annotate(
                active=Count("pk"),
                enrolled=Count(
                    "authenticator", filter=Q(authenticator__confirmed_at__isnull=False)
                ),
            )
        )
        per_role = {str(row[lookup]): row for row in grouped if row[lookup] is not None}
        adoption = [
            RoleAdoption(
                id=role.id,
                name=role.name,
                type=role.type,
                requires_2fa=role.requires_2fa,
                active=per_role.get(role.id, {}).get("active", 0),
                enrolled=per_role.get(role.id, {}).get("enrolled", 0),
            )
            for role in self.roles
        ]
        return sorted(
            adoption,
            key=lambda r: (r.active == 0, r.percent, -(r.active - r.enrolled), r.name),
        )

    def _count_enrollment_trend(self, weeks: int = TREND_WEEKS) -> list[TrendWeek]:
        """Enrollments completed per week over the last `weeks` weeks (oldest first), by active
        users who are still enrolled: one grouped query of at most 7 x weeks rows."""
        today = timezone.localdate(self.now)
        first = today - timedelta(days=7 * weeks - 1)
        days = (
            _enrolled_active()
            .filter(confirmed_at__gte=timezone.make_aware(datetime.combine(first, time.min)))
            .annotate(day=TruncDate("confirmed_at"))
            .order_by()
            .values("day")
            .annotate(n=Count("pk"))
        )
        per_week = [0] * weeks
        for row in days:
            index = (row["day"] - first).days // 7
            if 0 <= index < weeks:
                per_week[index] += row["n"]
        return [
            TrendWeek(
                start=first + timedelta(days=7 * i),
                end=first + timedelta(days=7 * i + 6),
                enrolled=n,
            )
            for i, n in enumerate(per_week)
        ]

    @staticmethod
    def trend_total(trend: list[TrendWeek]) -> int:
        return sum(week.enrolled for week in trend)

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

    def overdue_and_due_soon(self) -> QuerySet[EnrollmentDeadline]:
        """Users who must enroll and are overdue or due within overdue.DUE_SOON_DAYS, the earliest
        due date first (the index on due_at)."""
        return overdue.overdue_and_due_soon(now=self.now)

    @cached_property
    def overdue_counts(self) -> dict[str, int]:
        return overdue.overdue_counts(now=self.now)

    def roles_without_2fa(self) -> list:
        """Roles whose users need not use 2FA; all of them while the master switch is off."""
        roles = self.roles
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
            "overdue-and-due-soon": OverviewList(
                ("Name", "Email", "Role", "Due", "Days overdue"),
                lambda d: {
                    **person(d),
                    "role": ", ".join(self.adapter.role_names(d.user)),
                    "due_at": d.due_at,
                    "days_overdue": overdue.days_overdue(d.due_at, now=self.now),
                },
            ),
        }

    def items(self, name: str):
        return {
            "no-codes": self.no_codes,
            "low-codes": self.low_codes,
            "recent": self.recent,
            "roles-without-2fa": self.roles_without_2fa,
            "code-locked": self.code_locked,
            "overdue-and-due-soon": self.overdue_and_due_soon,
        }[name]()

    def rows(self, name: str, items: Iterable) -> list[dict]:
        return [self.lists[name].row(item) for item in items]

    def _person(self, item: Authenticator | CodeGuessBudget | EnrollmentDeadline) -> dict:
        user = item.user
        return {"name": self.adapter.display_name(user), "email": self.adapter.email(user)}

    def data(self, *, limit: int = 100) -> dict:
        """The widgets as plain data: the contract of `portal2fa overview --json` and the JSON
        endpoint. The five seed widgets' keys first, then the dashboard's own."""
        counts = self.counts
        no_codes, low_codes = self.no_codes(), self.low_codes()
        no_codes_count, low_codes_count = self.no_codes_count, self.low_codes_count
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
            "enrollment_methods": {
                "enrolled": counts.enrolled,
                "methods": [
                    {
                        "method": m.method,
                        "label": str(m.label),
                        "users": m.users,
                        "percent": m.percent,
                    }
                    for m in self.method_adoption()
                ],
                "optional_methods_on": self.optional_methods_on(),
            },
            "role_adoption": [
                {
                    "id": role.id,
                    "name": role.name,
                    "type": role.type,
                    "requires_2fa": role.requires_2fa,
                    "enrolled": role.enrolled,
                    "active": role.active,
                    "percent": role.percent,
                }
                for role in self.role_adoption()
            ],
            "enrollment_trend": self._trend_data(),
            # when the two entries above were counted; null: on this request
            "dashboard_counted_at": self.counted_at and self.counted_at.isoformat(),
            "trusted_signins": {
                "days": TRUSTED_SIGNIN_DAYS,
                "count": trusted_signins(now=self.now),
            },
            "overdue_and_due_soon": {
                # at most count_cap each; "…_more": there are more than that
                "overdue_count": min(self.overdue_counts["overdue"], overdue.COUNT_CAP),
                "overdue_more": self.overdue_counts["overdue"] > overdue.COUNT_CAP,
                "due_soon_count": min(self.overdue_counts["due_soon"], overdue.COUNT_CAP),
                "due_soon_more": self.overdue_counts["due_soon"] > overdue.COUNT_CAP,
                "count_cap": overdue.COUNT_CAP,
                "due_soon_days": overdue.DUE_SOON_DAYS,
                "users": [
                    {**row, "due_at": row["due_at"].isoformat()}
                    for row in self.rows(
                        "overdue-and-due-soon", self.overdue_and_due_soon()[:limit]
                    )
                ],
            },
            "user_lists": self.user_lists(),
        }

    def user_lists(self) -> dict:
        """Where each count leads: the 2FA user list filtered to it (its filter, as the CLI's
        `user list` takes it, and the Setup page's address)."""
        from django.urls import reverse

        base = reverse("twofactor:setup-users")

        def entry(wanted: UserFilter) -> dict:
            return {"filter": wanted.as_json(), "url": f"{base}?{wanted.query}"}

        return {
            "by_state": {state.value: entry(UserFilter(state=state)) for state in EnrollmentState},
            "by_role": [{"role": role.name, **entry(UserFilter(role=role))} for role in self.roles],
            "overdue": entry(UserFilter(overdue=True)),
        }

    def _trend_data(self) -> dict:
        trend = self.enrollment_trend()
        return {
            "total": self.trend_total(trend),
            "weeks": [
                {"start": w.start.isoformat(), "end": w.end.isoformat(), "enrolled": w.enrolled}
                for w in trend
            ],
        }


def overview_data(policy: TwoFactorSettings, *, now: datetime, limit: int = 100) -> dict:
    return Overview(policy, now=now).data(limit=limit)
