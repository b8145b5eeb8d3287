"""Benchmark: the 2FA user list's filters, the Overview's "Overdue and due soon" and the reminder run
at scale, each next to its floor (hand-written SQL returning the same rows).

    .venv/bin/python bench/lists.py --users 20000                      # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_lists .venv/bin/python bench/lists.py --users 1000000

On PostgreSQL the named database's public schema is dropped first (a scratch database); --reuse
keeps one seeded by an earlier run. Public tools only: time.perf_counter.
"""

import argparse
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--due", type=int, default=10_000, help="reminders owed at the run")
parser.add_argument("--runs", type=int, default=15)
parser.add_argument("--reuse", action="store_true", help="keep the seeded database (PostgreSQL)")
args = parser.parse_args()

tmp = tempfile.mkdtemp(prefix="portal2fa-bench-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["PORTAL2FA_DATA_DIR"] = tmp
os.environ["DJANGO_SETTINGS_MODULE"] = "portal2fa.config.test_settings"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from portal2fa.accounts.models import SecurityRole, User  # noqa: E402
from portal2fa.demo import FIRST, LAST  # noqa: E402
from portal2fa.twofactor.cli.progress import Progress  # noqa: E402
from portal2fa.twofactor.machinery import counters  # noqa: E402
from portal2fa.twofactor.models import (  # noqa: E402
    EnrollmentReminder,
    EnrollmentState,
    TwoFactorSettings,
)
from portal2fa.twofactor.selectors import overdue  # noqa: E402
from portal2fa.twofactor.selectors.user_list import UserFilter, parse_filter, user_page  # noqa: E402
from portal2fa.twofactor.services.reminders import reminders_dry_run, reminders_run  # noqa: E402

PG = connection.vendor == "postgresql"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
PAGE = 50
# (name, share of the users, requires 2FA): Finance is the README's example role (`--role
# Finance`); Auditors rare.
ROLES = [
    ("Employees", 0.55, True),
    ("Finance", 0.10, True),
    ("Partners", 0.20, True),
    ("Customers", 0.145, False),
    ("Auditors", 0.005, True),
]


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def samples(fn, runs=None) -> list[float]:
    out = []
    for _ in range(runs or args.runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values, q) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def line(label, measure, floor=None, unit="ms"):
    if floor:
        print(
            f"  {label:<44} {measure:9.1f} {unit}   floor {floor:9.1f} {unit}   "
            f"ratio {measure / floor:5.2f}x"
        )
    else:
        print(f"  {label:<44} {measure:9.1f} {unit}")


# ---- seeding --------------------------------------------------------------------------------
TABLES = ("accounts_user", "twofactor_authenticator", "twofactor_enrollmentdeadline")


def rows(n: int, role_ids: list[int], due: int):
    """(user row, authenticator row or None, deadline row or None) for users 2..n+1.

    30% Not Started, 15% Pending, 55% Enrolled; 5% inactive. Every user of a 2FA role who is not
    enrolled has a due date: `due` of them (active) in the reminder window (0-7 days ahead, one
    reminder owed each), the others 90 days either side of it (overdue, or not yet reminded)."""
    rng = random.Random(1)
    weights = [share for _, share, _ in ROLES]
    owed = 0
    for i in range(n):
        uid = i + 2
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower()
        active = rng.random() > 0.05
        role = rng.choices(range(len(ROLES)), weights)[0]
        user = (uid, email, email, f"{first} {last}", "!", active, role_ids[role], NOW)
        roll = rng.random()
        auth = None
        if roll >= 0.3:
            confirmed = None if roll < 0.45 else NOW - timedelta(days=rng.uniform(0, 90))
            created = (confirmed or NOW) - timedelta(days=rng.uniform(0, 60))
            remaining = rng.choice([0, 1, 2, 3, 10, 10, 10, 10]) if confirmed else 0
            auth = (
                uid,
                "bench-not-a-secret",
                created,
                confirmed,
                remaining,
                10 if confirmed else 0,
                active,
                0,
            )
        deadline = None
        if ROLES[role][2] and (auth is None or auth[3] is None):
            if active and owed < due:
                owed += 1
                days = (0, 1, 2, 3, 4, 5, 6, 7)[owed % 8]
                due_at = NOW + timedelta(days=days, hours=2)
            else:
                due_at = NOW + timedelta(days=rng.choice([-1, 1]) * rng.uniform(9, 90))
            deadline = (uid, due_at - timedelta(days=30), due_at, 0)
        yield user, auth, deadline


COLUMNS = {
    "accounts_user": "id, email, email_canonical, full_name, password, is_active, role_id, date_joined",
    "twofactor_authenticator": "user_id, encrypted_secret, created_at, confirmed_at, "
    "backup_codes_remaining, backup_codes_issued, user_active, passkeys",
    "twofactor_enrollmentdeadline": "user_id, starts_at, due_at, snoozes",
}


def secondary_indexes() -> list[tuple[str, str]]:
    names = ", ".join(f"'{t}'" for t in TABLES)
    return raw(
        f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint)"
    )


def build_indexes(indexes, *, workers: int) -> None:
    import psycopg

    todo = sorted((d for _, d in indexes), key=lambda d: "gin" not in d)
    lock = threading.Lock()

    def work():
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            while True:
                with lock:
                    if not todo:
                        return
                    definition = todo.pop(0)
                conn.execute(definition)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def seed(n: int, role_ids: list[int]) -> float:
    started = time.perf_counter()
    batches = {table: [] for table in TABLES}
    with Progress("Seeding users", n, force=True) as progress, transaction.atomic():
        indexes = secondary_indexes() if PG else []
        with connection.cursor() as cursor:
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        for count, found in enumerate(rows(n, role_ids, args.due), start=1):
            for table, row in zip(TABLES, found, strict=True):
                if row:
                    batches[table].append(row)
            if count % 50_000 == 0 or count == n:
                for table in TABLES:
                    load(table, batches[table])
                    batches[table] = []
                progress.add(count - progress.done)
        if PG:
            raw(
                "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
                "(SELECT max(id) FROM accounts_user))"
            )
    if PG:
        build_indexes(indexes, workers=2)
    counters.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if PG else "ANALYZE")
    return time.perf_counter() - started


def load(table: str, batch: list) -> None:
    if not batch:
        return
    columns = COLUMNS[table]
    if PG:
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns.split(",")))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)


# ---------------------------------------------------------------------------------------------
if PG and not args.reuse:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
call_command("migrate", interactive=False, verbosity=0)
print(
    f"database: {connection.vendor}; users: {args.users:,}; reminders owed: {args.due:,}; "
    f"runs: {args.runs}; {time.strftime('%Y-%m-%d %H:%M')}"
)
if not User.objects.filter(pk=2).exists():
    role_ids = [
        SecurityRole.objects.create(name=name, type="Employee", requires_2fa=required).pk
        for name, _, required in ROLES
    ]
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    seconds = seed(args.users, role_ids)
    print(f"  seeded {args.users:,} users in {seconds:.1f} s")
finance = SecurityRole.objects.get(name="Finance")
auditors = SecurityRole.objects.get(name="Auditors")

# ---- the user list --------------------------------------------------------------------------
# A page of 50 after a cursor, as the Setup page and `user list` read it (the adapter's names,
# roles and dates included); the floor: the same page as one hand-written query.
SELECT = (
    "SELECT u.id, u.full_name, u.email, r.name, a.confirmed_at, a.created_at, d.due_at "
    "FROM accounts_user u JOIN accounts_securityrole r ON r.id = u.role_id "
    "LEFT JOIN twofactor_authenticator a ON a.user_id = u.id "
    "LEFT JOIN twofactor_enrollmentdeadline d ON d.user_id = u.id WHERE u.is_active "
)
STATE_SQL = {
    None: "",
    EnrollmentState.ENROLLED: "AND a.confirmed_at IS NOT NULL AND a.user_active ",
    EnrollmentState.PENDING: "AND a.id IS NOT NULL AND a.confirmed_at IS NULL AND a.user_active ",
    EnrollmentState.NOT_STARTED: "AND NOT EXISTS (SELECT 1 FROM twofactor_authenticator n "
    "WHERE n.user_id = u.id) ",
}


AT = connection.ops.adapt_datetimefield_value  # a datetime as the database compares it


def floor_sql(wanted: UserFilter, after: str) -> tuple[str, list]:
    sql, params = SELECT + STATE_SQL[wanted.state], []
    if wanted.role:
        sql += "AND u.role_id = %s "
        params.append(int(wanted.role.id))
    if wanted.overdue:
        sql += "AND d.due_at < %s AND a.confirmed_at IS NULL "
        params.append(AT(NOW))
        if after:
            due_text, _, pk = after.rpartition("~")
            sql += "AND (d.due_at, d.user_id) > (%s, %s) "
            params += [AT(datetime.fromisoformat(due_text)), int(pk)]
        return sql + f"ORDER BY d.due_at, d.user_id LIMIT {PAGE + 1}", params
    if after:
        sql += "AND u.id > %s "
        params.append(int(after))
    return sql + f"ORDER BY u.id LIMIT {PAGE + 1}", params


FILTERS = [
    ("all active users", {}),
    ("enrolled", {"state": "enrolled"}),
    ("pending", {"state": "pending"}),
    ("not started", {"state": "not_started"}),
    ("role Finance (10%)", {"role": str(finance.pk)}),
    ("role Auditors (0.5%)", {"role": str(auditors.pk)}),
    ("overdue", {"overdue": True}),
    ("pending, Finance, overdue", {"state": "pending", "role": str(finance.pk), "overdue": True}),
    ("not started, Auditors", {"state": "not_started", "role": str(auditors.pk)}),
]
print(f"User list: a page of {PAGE} (data time, p50 / p95 of {args.runs}; floor: one SQL query)")
for label, params in FILTERS:
    wanted = parse_filter(**params)
    first = user_page(wanted, now=NOW, size=PAGE)
    # a deep page: the cursor of page 1 walked 40 pages on (the same cost at any depth)
    deep_cursor, page = "", first
    for _ in range(40):
        if not page.next_cursor:
            break
        deep_cursor = page.next_cursor
        page = user_page(wanted, now=NOW, size=PAGE, cursor=deep_cursor)
    for where, cursor in (("page 1", ""), ("page 41", deep_cursor)):
        if where == "page 41" and not cursor:
            continue
        with CaptureQueriesContext(connection) as captured:
            got = user_page(wanted, now=NOW, size=PAGE, cursor=cursor)
        sql, sql_params = floor_sql(wanted, cursor)
        assert [r[0] for r in raw(sql, sql_params)][:PAGE] == [u.pk for u in got.users], label
        measure = samples(lambda w=wanted, c=cursor: user_page(w, now=NOW, size=PAGE, cursor=c))
        bare = samples(lambda s=sql, sp=sql_params: raw(s, sp))
        line(f"{label}, {where} ({len(captured)} q) p50", p(measure, 0.5), p(bare, 0.5))
        line(f"{label}, {where} p95", p(measure, 0.95), p(bare, 0.95))

# ---- Overdue and due soon ---------------------------------------------------------------------
print("Overview: Overdue and due soon (the counts and a page of 10)")
soon = NOW + timedelta(days=overdue.DUE_SOON_DAYS)
WIDGET_FLOOR = (  # each count stops at COUNT_CAP + 1, as the widget's
    "SELECT count(*) FROM (SELECT 1 FROM twofactor_enrollmentdeadline d "
    "JOIN accounts_user u ON u.id = d.user_id WHERE d.due_at >= %s AND d.due_at < %s "
    "AND u.is_active AND NOT EXISTS (SELECT 1 FROM twofactor_authenticator a "
    "WHERE a.user_id = d.user_id AND a.confirmed_at IS NOT NULL) ORDER BY d.due_at LIMIT %s) c"
)
FAR = datetime(1970, 1, 1, tzinfo=UTC)
WIDGET_PAGE = (
    "SELECT u.full_name, u.email, r.name, d.due_at FROM twofactor_enrollmentdeadline d "
    "JOIN accounts_user u ON u.id = d.user_id JOIN accounts_securityrole r ON r.id = u.role_id "
    "WHERE d.due_at < %s AND u.is_active AND NOT EXISTS (SELECT 1 FROM twofactor_authenticator a "
    "WHERE a.user_id = d.user_id AND a.confirmed_at IS NOT NULL) ORDER BY d.due_at, d.user_id "
    "LIMIT 10"
)


def widget():
    overdue.overdue_counts(now=NOW)
    list(overdue.overdue_and_due_soon(now=NOW)[:10])


def widget_floor():
    cap = overdue.COUNT_CAP + 1
    return [
        raw(WIDGET_FLOOR, [AT(FAR), AT(NOW), cap])[0][0],
        raw(WIDGET_FLOOR, [AT(NOW), AT(soon), cap])[0][0],
        raw(WIDGET_PAGE, [AT(soon)]),
    ]


counts = overdue.overdue_counts(now=NOW)
assert widget_floor()[:2] == [counts["overdue"], counts["due_soon"]]
print(
    f"  {overdue.capped(counts['overdue'])} overdue, {overdue.capped(counts['due_soon'])} due "
    f"within a week (each counted up to {overdue.COUNT_CAP:,} + 1)"
)
line(
    "counts + page 1 (median)",
    statistics.median(samples(widget)),
    statistics.median(samples(widget_floor)),
)

# ---- reminders --------------------------------------------------------------------------------
print(f"Reminders: portal2fa remind with Django's locmem mail backend ({args.due:,} owed)")
EnrollmentReminder.objects.all().delete()
started = time.perf_counter()
planned = sum(1 for _ in reminders_dry_run(now=NOW))
dry = time.perf_counter() - started
mail.outbox = []
started = time.perf_counter()
with Progress("Sending reminders", force=True) as progress:
    result = reminders_run(now=NOW, progress=progress)
run = time.perf_counter() - started
assert result.sent == planned == len(mail.outbox), (result, planned, len(mail.outbox))
# floor: the same candidates read and the same rows inserted by hand-written SQL, no mail
EnrollmentReminder.objects.all().delete()
start = datetime(2026, 11, 1, tzinfo=UTC)
CANDIDATES = (
    "SELECT d.user_id, d.due_at, u.email, u.full_name FROM twofactor_enrollmentdeadline d "
    "JOIN accounts_user u ON u.id = d.user_id JOIN accounts_securityrole r ON r.id = u.role_id "
    "WHERE d.due_at >= %s AND d.due_at < %s AND u.is_active AND r.requires_2fa AND NOT EXISTS "
    "(SELECT 1 FROM twofactor_authenticator a WHERE a.user_id = d.user_id "
    "AND a.confirmed_at IS NOT NULL)"
)
started = time.perf_counter()
found = raw(CANDIDATES, [AT(start), AT(start + timedelta(days=8))])
with transaction.atomic(), connection.cursor() as cursor:
    when = connection.ops.adapt_datetimefield_value
    cursor.executemany(
        "INSERT INTO twofactor_enrollmentreminder (user_id, due_at, days_before, claimed_at, "
        "failed) VALUES (%s, %s, 0, %s, false) ON CONFLICT DO NOTHING",
        [(uid, when(due_at), when(NOW)) for uid, due_at, _, _ in found],
    )
floor = time.perf_counter() - started
line("dry run (who would get which)", dry, unit="s ")
line(f"run: {result.sent:,} sent, {result.failed} failed", run, floor, unit="s ")
print(f"  {result.sent / run:,.0f} reminders/s; target: {args.due:,} in <= 60 s")
EnrollmentReminder.objects.all().delete()
