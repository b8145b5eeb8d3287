"""Sliding-window failure counters kept in the database, so every app process sees them.

Exact under parallel requests: throttle_reserve() counts the attempt as in flight on one
ThrottleKey row per key, in one upsert that locks the rows (in key order) and returns what the
check needs, *before* the caller checks the credentials. A failure then becomes a ThrottleEvent
(throttle_fail) and a success only leaves flight (throttle_release): no row is written to be
deleted. So N requests racing on a key with room for one more failure cannot all pass:
in-flight attempts count against the limit with the failures of the window.

The window is counted (one SELECT) only for keys whose row says they failed within it, so the
usual sign-in costs one statement before the password check and one after. Old rows of every key
(emails nobody tries again, addresses) are pruned a bounded batch at a time, on failures.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Greatest

from ..models import ThrottleEvent, ThrottleKey

# No throttle window is longer: rows older than this are of no use to any key.
RETENTION = timedelta(days=1)
PRUNE_BATCH = 100  # rows deleted per hit at most: cheap, and faster than new rows can come in
# An attempt still in flight after this was lost with its process (no password check takes a
# minute): the key's next attempt after a minute without attempts no longer counts it. (A key
# never quiet for a minute keeps such a lost attempt, one of its limit, until it is.)
IN_FLIGHT = timedelta(minutes=1)


@dataclass(frozen=True)
class Reservation:
    keys: tuple[str, ...]
    at: datetime


def throttle_prune(*, at: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` expired events and key rows (the oldest first). Returns how many."""
    cutoff = at - RETENTION
    old_events = ThrottleEvent.objects.filter(at__lte=cutoff).order_by("at")
    deleted, _ = ThrottleEvent.objects.filter(
        pk__in=list(old_events.values_list("pk", flat=True)[:batch])
    ).delete()
    # A key row's last_at is its newest attempt: past the cutoff, all its events are too.
    old_keys = ThrottleKey.objects.filter(last_at__lte=cutoff).order_by("last_at")
    gone, _ = ThrottleKey.objects.filter(
        pk__in=list(old_keys.values_list("pk", flat=True)[:batch]), last_at__lte=cutoff
    ).delete()
    return deleted + gone


def _enter_flight(
    keys: list[str], *, window: timedelta, at: datetime
) -> dict[str, tuple[int, int]]:
    """One statement: each key's row created or locked, its in-flight count raised (reset when
    the last attempt is older than IN_FLIGHT). Returns {key: (in flight, failed within window)}.

    Raw SQL because Django's ORM has no upsert with expressions and RETURNING; it runs on
    PostgreSQL and SQLite >= 3.35. On PostgreSQL a row another request holds is waited for and
    then read as that request left it (not as of this statement's start), so its failure is seen.
    """
    ops = connection.ops
    table = ops.quote_name(ThrottleKey._meta.db_table)
    key, last_at, pending, failed_at = map(
        ops.quote_name, ("key", "last_at", "pending", "failed_at")
    )
    rows = ", ".join(["(%s, %s, 1)"] * len(keys))
    # Only quoted identifiers and placeholders are formatted in; values go as parameters.
    sql = (
        f"INSERT INTO {table} ({key}, {last_at}, {pending}) VALUES {rows} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{pending} = CASE WHEN {table}.{last_at} > %s THEN {table}.{pending} + 1 ELSE 1 END, "
        f"{last_at} = excluded.{last_at} "
        f"RETURNING {key}, {pending}, {failed_at} IS NOT NULL AND {failed_at} > %s"
    )
    stamp = ops.adapt_datetimefield_value(at)
    params = [value for name in keys for value in (name, stamp)]
    params += [ops.adapt_datetimefield_value(at - IN_FLIGHT)]
    params += [ops.adapt_datetimefield_value(at - window)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {name: (count, bool(failed)) for name, count, failed in cursor.fetchall()}


def throttle_reserve(
    *, limits: list[tuple[str, int]], window: timedelta, at: datetime
) -> Reservation | None:
    """Count one attempt against every (key, limit) at once, unless a key's window is full.
    Returns the reservation (end it with throttle_release on success, throttle_fail on failure),
    or None when a limit is reached (nothing is recorded then)."""
    keys = sorted({key for key, _ in limits})
    with transaction.atomic():
        flight = _enter_flight(keys, window=window, at=at)
        recent = [key for key in keys if flight[key][1]]
        failures = dict(
            ThrottleEvent.objects.filter(key__in=recent, at__gt=at - window)
            .values_list("key")
            .annotate(n=Count("id"))
            if recent
            else ()
        )
        # This attempt is one of those in flight: the limit is reached when it would exceed it.
        if any(failures.get(key, 0) + flight[key][0] > limit for key, limit in limits):
            transaction.set_rollback(True)  # nothing recorded
            return None
    return Reservation(keys=tuple(keys), at=at)


def throttle_release(reservation: Reservation) -> None:
    """The attempt succeeded: it was no failure, and it is no longer in flight."""
    ThrottleKey.objects.filter(key__in=reservation.keys, pending__gt=0).update(
        pending=F("pending") - 1
    )


def throttle_fail(reservation: Reservation) -> None:
    """The attempt failed: a failure in each key's window, and no longer in flight."""
    at = reservation.at
    with transaction.atomic():
        ThrottleEvent.objects.bulk_create(
            [ThrottleEvent(key=key, at=at) for key in reservation.keys]
        )
        ThrottleKey.objects.filter(key__in=reservation.keys).update(
            pending=Greatest(F("pending") - 1, 0), failed_at=at
        )
        throttle_prune(at=at)
