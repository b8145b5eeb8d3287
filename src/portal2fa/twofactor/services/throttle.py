"""Sliding-window failure counters kept in the database, so every app process sees them."""

from datetime import datetime, timedelta

from ..models import ThrottleEvent


def throttle_exceeded(*, key: str, limit: int, window: timedelta, at: datetime) -> bool:
    return ThrottleEvent.objects.filter(key=key, at__gt=at - window).count() >= limit


def throttle_hit(*, key: str, window: timedelta, at: datetime) -> None:
    ThrottleEvent.objects.filter(key=key, at__lte=at - window).delete()  # keep the table small
    ThrottleEvent.objects.create(key=key, at=at)
