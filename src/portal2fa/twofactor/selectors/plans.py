"""Query plans for the small reads of big tables (a page of a list, a count that stops at a cap)."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def serial_plan(wanted: bool = True):
    """On PostgreSQL (and when `wanted`), the enclosed queries without parallel workers. A page of
    51 rows or a count that stops at 1,001 walks an index for a few milliseconds; the planner
    still chose parallel workers for the selective ones (a state or a role with overdue, the
    overdue counts), whose start alone took 20-90 ms on a busy server. SET LOCAL: this
    transaction only. It costs three round trips (BEGIN, SET, COMMIT): callers ask for it only
    where bench/lists.py saw the parallel plan."""
    if not wanted or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
