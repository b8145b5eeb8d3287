"""The API's rate limit: calls per token per clock minute, counted by one INSERT … ON CONFLICT
DO UPDATE … RETURNING (exact under concurrency: the row lock orders the increments). A fixed
window, not the sign-in throttles' sliding one (machinery/throttle.py), because an API call must
cost one statement, not a locked count: a burst may reach twice the limit across a minute's edge."""

from datetime import datetime, timedelta

from django.db import connection

from ..models import ApiCallWindow


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def call_count(*, token_id: int, at: datetime) -> int:
    """Count this call; the token's calls in this minute, this one included."""
    qn = connection.ops.quote_name
    table = qn(ApiCallWindow._meta.db_table)
    calls = qn("calls")
    minute = minute_of(at)
    # Only quoted identifiers are formatted in; values go as parameters.
    sql = (
        f"INSERT INTO {table} ({qn('token_id')}, {qn('minute')}, {calls}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({qn('token_id')}, {qn('minute')}) "
        f"DO UPDATE SET {calls} = {table}.{calls} + 1 RETURNING {calls}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_id, connection.ops.adapt_datetimefield_value(minute)])
        (count,) = cursor.fetchone()
    if count == 1:  # the minute's first call: drop the token's older minutes (once a minute)
        ApiCallWindow.objects.filter(token_id=token_id, minute__lt=minute).delete()
    return count


def seconds_left(at: datetime) -> int:
    return max(1, int((minute_of(at) + timedelta(minutes=1) - at).total_seconds()) + 1)
