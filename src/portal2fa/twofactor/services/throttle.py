"""Sliding-window failure counters kept in the database, so every app process sees them.

Exact under parallel requests: throttle_reserve() locks one ThrottleKey row per key (FOR UPDATE,
in key order), counts the window and records the failure *before* the caller checks the
credentials, all in one short transaction; a success then gives the reservation back
(throttle_release). So N requests racing on a key with room for one more failure cannot all pass.
Old rows of every key (emails nobody tries again, addresses) are pruned a bounded batch at a time.
"""

from datetime import datetime, timedelta

from django.db import transaction

from ..models import ThrottleEvent, ThrottleKey

# No throttle window is longer: rows older than this are of no use to any key.
RETENTION = timedelta(days=1)
PRUNE_BATCH = 100  # rows deleted per hit at most: cheap, and faster than new rows can come in


def throttle_exceeded(*, key: str, limit: int, window: timedelta, at: datetime) -> bool:
    return ThrottleEvent.objects.filter(key=key, at__gt=at - window).count() >= limit


def throttle_prune(*, at: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` expired events and key rows (the oldest first). Returns how many."""
    cutoff = at - RETENTION
    old_events = ThrottleEvent.objects.filter(at__lte=cutoff).order_by("at")
    deleted, _ = ThrottleEvent.objects.filter(
        pk__in=list(old_events.values_list("pk", flat=True)[:batch])
    ).delete()
    # A key row's last_at is its newest event: past the cutoff, all its events are too.
    old_keys = ThrottleKey.objects.filter(last_at__lte=cutoff).order_by("last_at")
    gone, _ = ThrottleKey.objects.filter(
        pk__in=list(old_keys.values_list("pk", flat=True)[:batch]), last_at__lte=cutoff
    ).delete()
    return deleted + gone


def _lock_keys(keys: list[str], *, at: datetime) -> None:
    for _ in range(3):  # a row pruned between our insert and our lock: insert it again
        ThrottleKey.objects.bulk_create(
            [ThrottleKey(key=key, last_at=at) for key in keys], ignore_conflicts=True
        )
        locked = list(ThrottleKey.objects.select_for_update().filter(key__in=keys).order_by("key"))
        if len(locked) == len(keys):
            ThrottleKey.objects.filter(key__in=keys).update(last_at=at)
            return
    raise RuntimeError("could not lock the throttle keys")  # pragma: no cover


def throttle_reserve(
    *, limits: list[tuple[str, int]], window: timedelta, at: datetime
) -> list[int] | None:
    """Count one failure against every (key, limit) at once, unless a key's window is full.
    Returns the reserved event ids (give them back with throttle_release on success), or None
    when a limit is reached (nothing is recorded then)."""
    keys = sorted({key for key, _ in limits})
    with transaction.atomic():
        _lock_keys(keys, at=at)
        if any(
            throttle_exceeded(key=key, limit=limit, window=window, at=at) for key, limit in limits
        ):
            return None
        events = [ThrottleEvent.objects.create(key=key, at=at) for key in keys]
        throttle_prune(at=at)
    return [event.pk for event in events]


def throttle_release(reserved: list[int]) -> None:
    """The attempt succeeded: it was no failure."""
    ThrottleEvent.objects.filter(pk__in=reserved).delete()
