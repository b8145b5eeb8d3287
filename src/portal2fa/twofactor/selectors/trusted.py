"""Reads about trusted browsers: a user's list, and for the Overview one indexed count, whatever
the number of users."""

from datetime import datetime, timedelta

from ...audit.models import Action, AuditEvent
from ..models import TrustedBrowser

TRUSTED_SIGNIN_DAYS = 30


def trusted_signins(*, now: datetime, days: int = TRUSTED_SIGNIN_DAYS) -> int:
    """Sign-ins in the last `days` that skipped the second factor on a trusted browser (one
    query on the audit log's (action, at) index)."""
    return AuditEvent.objects.filter(
        action=Action.TRUSTED_BROWSER_USED, at__gt=now - timedelta(days=days)
    ).count()


def trusted_browsers_of(user) -> list[TrustedBrowser]:
    return list(TrustedBrowser.objects.filter(user_id=user.pk).order_by("-last_used_at", "-pk"))
