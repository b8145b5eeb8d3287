"""Prometheus counters kept in the database: added to in the transaction of the audit event that
counts (so a rolled-back change is never counted), read by /metrics from any process. One
INSERT … ON CONFLICT per event on one random shard, as the Overview counters do."""

import random
from collections import Counter

from django.db import connection

from ...audit.models import Action
from ..models import MetricCounter

SHARDS = 8
# Verification methods as labels: a fixed set, so a label never carries anything else.
METHODS = ("totp", "backup", "email", "sms", "passkey", "access_pass", "trusted_browser")
PASS_OUTCOMES = {
    Action.ACCESS_PASS_ISSUED: "issued",
    Action.ACCESS_PASS_USED: "used",
    Action.ACCESS_PASS_EXPIRED: "expired",
    Action.ACCESS_PASS_REVOKED: "revoked",
}
# The verify-duration histogram's upper bounds, in seconds (Prometheus "le").
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _method(detail: dict) -> str:
    found = str(detail.get("factor") or detail.get("method") or "")
    if "trusted browser" in found:
        return "trusted_browser"
    first = found.split(" ")[0]
    return first if first in METHODS else "other"


def names_for(event) -> list[str]:
    """The counters one audit event adds 1 to. Names are `metric|label=value|…`."""
    action, detail = event.action, event.detail or {}
    names = [f"events|event={event.action}"]
    if action == Action.SIGNIN_SUCCEEDED and detail.get("second_factor") != "not required":
        if "factor" in detail:
            names.append(f"verifications|method={_method(detail)}|result=success")
    elif action == Action.SECOND_FACTOR_FAILED:
        names.append(
            f"verifications|method={_method(detail) if detail.get('factor') else 'code'}|result=failure"
        )
    elif action in (Action.SECOND_FACTOR_LOCKOUT, Action.CODE_LOCKED):
        names.append("lockouts")
    elif action == Action.ENROLLMENT_COMPLETED:
        names.append(f"enrollments|method={_method(detail) if detail.get('method') else 'totp'}")
    elif action == Action.PASSKEY_ADDED:
        names.append("enrollments|method=passkey")
    elif action == Action.ENROLLMENT_RESET:
        names.append("resets")
    elif action == Action.REMINDER_SENT:
        names.append("reminders")
    elif action in PASS_OUTCOMES:
        names.append(f"access_passes|outcome={PASS_OUTCOMES[action]}")
    return names


def add(deltas: dict[str, int]) -> None:
    if not deltas:
        return
    qn = connection.ops.quote_name
    table = qn(MetricCounter._meta.db_table)
    shard = random.randrange(SHARDS)  # noqa: S311
    names = sorted(deltas)
    values = ", ".join(["(%s, %s, %s)"] * len(names))
    params = [p for n in names for p in (n, shard, deltas[n])]
    value = qn("value")
    # Only quoted identifiers and placeholders are formatted in; values go as parameters.
    sql = (
        f"INSERT INTO {table} ({qn('name')}, {qn('shard')}, {value}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({qn('name')}, {qn('shard')}) DO UPDATE SET {value} = {table}.{value} + EXCLUDED.{value}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def count_event(sender, event, **kwargs) -> None:
    add(Counter(names_for(event)))


def count_reminders(sender, count, **kwargs) -> None:
    """A `portal2fa remind` run's batch (its reminders are not audited one by one)."""
    add({"reminders": count})


def observe_verify_duration(seconds: float) -> None:
    """One observation of the histogram: its bucket counts (cumulative, as Prometheus reads
    them), its count and its sum (in microseconds, to stay an integer)."""
    deltas = {f"verify_seconds_bucket|le={le}": 1 for le in DURATION_BUCKETS if seconds <= le}
    deltas["verify_seconds_count"] = 1
    deltas["verify_seconds_sum_us"] = round(seconds * 1_000_000)
    add(deltas)
