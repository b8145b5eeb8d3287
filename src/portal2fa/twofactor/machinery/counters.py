"""The Overview's counts as counter rows, so the Overview reads them in O(1) at any population.

Every change that moves a count (enroll begin, confirm, reset, backup-code use and regeneration,
user creation, deletion and (de)activation) calls `move(before, after)` in its own transaction,
with the buckets the affected authenticator (or user) was in before and is in after. A move is one
UPDATE of the rows of one random shard (PORTAL2FA_COUNTER_SHARDS), so concurrent sign-ins rarely
wait on one another; a read sums the shards (one small GROUP BY).

Lock order, the same everywhere: the user row (code_checks.serialize_code_checks or the user's
own UPDATE), then the authenticator row, then the counter rows, all in a single statement per
transaction: no deadlock between two moves.

The method breakdown counts enrolled active users per method they hold: "method:totp" (an
authenticator app) and "method:passkey" (at least one passkey); a user with both is in both.

Backup codes are counted per remaining value ("codes:0", "codes:1", ...), so the Low codes count
for any threshold is a sum and a threshold change needs no recount.
"""

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, overload

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from ..conf import setting

ACTIVE, ENROLLED, PENDING = "active", "enrolled", "pending"
METHOD_APP, METHOD_PASSKEY = "method:totp", "method:passkey"


def codes_bucket(remaining: int) -> str:
    return f"codes:{remaining}"


@dataclass(frozen=True)
class AuthState:
    """What of an authenticator the counts depend on."""

    user_active: bool
    confirmed: bool
    remaining: int
    issued: int
    app: bool = True  # an authenticator app secret
    passkeys: bool = False  # at least one passkey

    def buckets(self) -> tuple[str, ...]:
        if not self.user_active:
            return ()
        if not self.confirmed:
            return (PENDING,)
        found = [ENROLLED]
        if self.issued > 0:
            found.append(codes_bucket(self.remaining))
        if self.app:
            found.append(METHOD_APP)
        if self.passkeys:
            found.append(METHOD_PASSKEY)
        return tuple(found)

    def replace(self, **changes) -> "AuthState":
        return AuthState(**{**self.__dict__, **changes})


_FIELDS = (
    "user_active",
    "confirmed_at",
    "backup_codes_remaining",
    "backup_codes_issued",
    "encrypted_secret",
    "passkeys",
)


def counted_state(authenticator) -> AuthState:
    return AuthState(
        user_active=authenticator.user_active,
        confirmed=authenticator.confirmed_at is not None,
        remaining=authenticator.backup_codes_remaining,
        issued=authenticator.backup_codes_issued,
        app=bool(authenticator.encrypted_secret),
        passkeys=authenticator.passkeys > 0,
    )


# By pk the caller holds the row (it has just read or updated it); by user it may have none.
@overload
def locked_state(*, pk: int) -> tuple[int, AuthState]: ...
@overload
def locked_state(*, user_id: int) -> tuple[int, AuthState] | None: ...
def locked_state(**lookup: Any) -> tuple[int, AuthState] | None:
    """(pk, state) of an authenticator, its row locked for the rest of the transaction (already
    locked when this transaction updated it: the read then sees the newest committed version)."""
    from ..models import Authenticator

    rows = Authenticator.objects.filter(**lookup)
    if connection.in_atomic_block:  # (a caller in autocommit, such as a test, reads unlocked)
        rows = rows.select_for_update()
    row = rows.values_list("pk", *_FIELDS).first()
    if row is None:
        return None
    pk, active, confirmed_at, remaining, issued, secret, passkeys = row
    return pk, AuthState(
        active, confirmed_at is not None, remaining, issued, bool(secret), passkeys > 0
    )


def move(before: Iterable[str] = (), after: Iterable[str] = ()) -> None:
    """-1 on each bucket left, +1 on each bucket entered: one UPDATE on one random shard."""
    deltas = Counter(after)
    deltas.subtract(before)
    apply({name: delta for name, delta in deltas.items() if delta})


def apply(deltas: dict[str, int]) -> None:
    """Add each delta to its counter on one random shard: one INSERT .. ON CONFLICT DO UPDATE
    (PostgreSQL, SQLite >= 3.24), which also creates a bucket's row at its first use. Rows are
    written in name order, so two moves lock shared rows in the same order."""
    from ..models import OverviewCounter

    if not deltas:
        return
    shard = random.randrange(max(1, int(setting("PORTAL2FA_COUNTER_SHARDS"))))
    qn = connection.ops.quote_name
    table = qn(OverviewCounter._meta.db_table)
    names = sorted(deltas)
    values = ", ".join(["(%s, %s, %s)"] * len(names))
    params = [p for n in names for p in (n, shard, deltas[n])]
    # Only quoted identifiers and placeholders are formatted in; values go as parameters.
    name, value = qn("name"), qn("value")
    sql = (
        f"INSERT INTO {table} ({name}, {qn('shard')}, {value}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({name}, {qn('shard')}) "
        f"DO UPDATE SET {value} = {table}.{value} + EXCLUDED.{value}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def totals() -> dict[str, int]:
    """Every count: the sum of its shards. One query over (buckets x shards) rows."""
    from ..models import OverviewCounter

    rows = OverviewCounter.objects.values("name").annotate(total=Sum("value"))
    return {row["name"]: row["total"] for row in rows}


def enrolled_without_app() -> int:
    """Active users enrolled with passkeys alone (no authenticator app): O(1) from the counters."""
    kept = totals()
    return max(0, kept.get(ENROLLED, 0) - kept.get(METHOD_APP, 0))


def recount() -> dict[str, int]:
    """The counts by full scan: what the counters must equal. O(users)."""
    from ..adapter import get_adapter
    from ..models import Authenticator

    counts: Counter = Counter()
    counts[ACTIVE] = get_adapter().active_users().count()
    active = Authenticator.objects.filter(user_active=True)
    enrolled = Q(confirmed_at__isnull=False)
    states = active.aggregate(
        enrolled=Count("pk", filter=enrolled),
        pending=Count("pk", filter=Q(confirmed_at__isnull=True)),
        app=Count("pk", filter=enrolled & ~Q(encrypted_secret="")),
        passkey=Count("pk", filter=enrolled & Q(passkeys__gt=0)),
    )
    counts.update(
        {
            ENROLLED: states["enrolled"],
            PENDING: states["pending"],
            METHOD_APP: states["app"],
            METHOD_PASSKEY: states["passkey"],
        }
    )
    by_remaining = (
        active.filter(confirmed_at__isnull=False, backup_codes_issued__gt=0)
        .values("backup_codes_remaining")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in by_remaining:
        counts[codes_bucket(row["backup_codes_remaining"])] = row["n"]
    return {name: n for name, n in counts.items() if n}


def drift() -> dict[str, tuple[int, int]]:
    """{name: (counted, recounted)} for every count that differs; empty when all agree."""
    kept, actual = totals(), recount()
    return {
        name: (kept.get(name, 0), actual.get(name, 0))
        for name in sorted(set(kept) | set(actual))
        if kept.get(name, 0) != actual.get(name, 0)
    }


def rebuild() -> dict[str, tuple[int, int]]:
    """Rewrite the counters from a full recount; returns the drift it repaired.

    On PostgreSQL the counter table is locked first (EXCLUSIVE: reads go on, moves wait): a change
    committed before the lock is in the recount, one still waiting adds its move after ours."""
    from ..models import OverviewCounter

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(OverviewCounter._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        found = drift()
        actual = recount()
        OverviewCounter.objects.all().delete()
        OverviewCounter.objects.bulk_create(
            OverviewCounter(name=name, shard=0, value=n) for name, n in actual.items()
        )
    return found
