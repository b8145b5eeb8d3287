"""The Overview tab's five widgets, computed live with a fixed number of queries.

Every query filters on active users and reads the denormalised counters on Authenticator, so the
cost is a handful of indexed aggregates whatever the number of users (see bench/overview.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet

from ...accounts.models import SecurityRole, User
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


def enrollment_counts() -> EnrollmentCounts:
    """Enrollment Rate and Status Breakdown: two aggregates, neither joins users to authenticators."""
    active = User.objects.filter(is_active=True).count()
    states = Authenticator.objects.filter(user_active=True).aggregate(
        enrolled=Count("pk", filter=Q(confirmed_at__isnull=False)),
        pending=Count("pk", filter=Q(confirmed_at__isnull=True)),
    )
    return EnrollmentCounts(active=active, **states)


def _enrolled_active() -> QuerySet[Authenticator]:
    return Authenticator.objects.filter(confirmed_at__isnull=False, user_active=True)


def users_without_codes() -> QuerySet:
    """Enrolled active users who had backup codes and have used them all (never had: not listed).

    Most recently enrolled first: the order of an index, so a page costs the same at any size.
    """
    return (
        _enrolled_active()
        .filter(backup_codes_remaining=0, backup_codes_issued__gt=0)
        .annotate(name=F("user__full_name"), email=F("user__email"))
        .order_by("-confirmed_at", "-id")
        .values("name", "email")
    )


def users_low_on_codes(threshold: int) -> QuerySet:
    """Enrolled active users with 1..threshold backup codes left: fewest first, then newest."""
    return (
        _enrolled_active()
        .filter(backup_codes_remaining__gte=1, backup_codes_remaining__lte=threshold)
        .annotate(
            name=F("user__full_name"), email=F("user__email"), remaining=F("backup_codes_remaining")
        )
        .order_by("backup_codes_remaining", "-confirmed_at", "-id")
        .values("name", "email", "remaining")
    )


def recent_enrollments(*, now: datetime, days: int = RECENT_DAYS) -> QuerySet:
    """Active users who completed enrollment in the last `days` days, newest first."""
    return (
        _enrolled_active()
        .filter(confirmed_at__gte=now - timedelta(days=days))
        .annotate(name=F("user__full_name"), email=F("user__email"), enrolled_at=F("confirmed_at"))
        .order_by("-confirmed_at", "-pk")
        .values("name", "email", "enrolled_at")
    )


def roles_without_2fa(policy: TwoFactorSettings) -> QuerySet:
    """Roles whose users are not required to use 2FA; all of them while the master switch is off."""
    roles = (
        SecurityRole.objects.all()
        if not policy.enabled
        else SecurityRole.objects.filter(requires_2fa=False)
    )
    return roles.order_by("name").values("name", "type")


def overview_data(policy: TwoFactorSettings, *, now: datetime, limit: int = 100) -> dict:
    """The five widgets as plain data: the contract of `portal2fa overview --json` and the JSON API."""
    counts = enrollment_counts()
    no_codes = users_without_codes()
    low_codes = users_low_on_codes(policy.low_codes_threshold)
    no_codes_count, low_codes_count = no_codes.count(), low_codes.count()
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
            "threshold": policy.low_codes_threshold,
            "no_codes_count": no_codes_count,
            "low_codes_count": low_codes_count,
            "no_codes": list(no_codes[:limit]),
            "low_codes": list(low_codes[:limit]),
        },
        "recent_enrollments": [
            {**row, "enrolled_at": row["enrolled_at"].isoformat()}
            for row in recent_enrollments(now=now)[:limit]
        ],
        "roles_without_2fa": list(roles_without_2fa(policy)[:limit]),
    }
