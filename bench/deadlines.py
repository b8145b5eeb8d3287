"""Benchmark: a Security Role's due rule applied to all its users, next to hand-written SQL.

    .venv/bin/python bench/deadlines.py --users 100000                 # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/deadlines.py --users 1000000

On PostgreSQL the named database's public schema is dropped first (it must be a scratch database).
Seeds N users in one role (a third of them Enrolled), then measures, each `--runs` times (median):

- start: the role starts to require 2FA "within 14 days" (settings_update: the role rows, one
  INSERT .. SELECT of the users' dates, the recompute, the audit event), against the floor: one
  hand-written INSERT .. SELECT of the same rows;
- change: "within 14 days" becomes "within 30 days" (the recompute), against one hand-written
  UPDATE of the same rows.

Every measure is printed with its floor and the ratio. Public tools only: time.perf_counter.
"""

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=5)
args = parser.parse_args()

tmp = tempfile.mkdtemp(prefix="portal2fa-bench-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["PORTAL2FA_DATA_DIR"] = tmp
os.environ["DJANGO_SETTINGS_MODULE"] = "portal2fa.config.test_settings"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from portal2fa.accounts.models import SecurityRole  # noqa: E402
from portal2fa.twofactor.core.deadlines import WITHIN_DAYS, DueRule  # noqa: E402
from portal2fa.twofactor.models import EnrollmentDeadline  # noqa: E402
from portal2fa.twofactor.services.settings import settings_update  # noqa: E402

PG = connection.vendor == "postgresql"
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def reset_schema() -> None:
    if PG:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)


def seed(users: int) -> SecurityRole:
    role = SecurityRole.objects.create(name="Finance", type="Employee")
    numbers = (
        "SELECT g AS n FROM generate_series(1, %s) g"
        if PG
        else "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
        "SELECT n FROM g"
    )
    now = connection.ops.adapt_datetimefield_value(NOW)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, email, email_canonical, full_name, is_active, "
            f"role_id, date_joined) SELECT '!', 'u' || n || '@example.com', "
            f"'u' || n || '@example.com', 'User ' || n, %s, %s, %s FROM ({numbers}) numbers",
            [True, role.pk, now, users],
        )
        cursor.execute(
            "INSERT INTO twofactor_authenticator (user_id, encrypted_secret, created_at, "
            "confirmed_at, backup_codes_remaining, backup_codes_issued, user_active, passkeys) "
            "SELECT id, '', %s, %s, 0, 0, %s, 0 FROM accounts_user WHERE id %% 3 = 0",
            [now, now, True],
        )
        if PG:
            cursor.execute("VACUUM ANALYZE")
    return role


def timed(run, undo) -> float:
    times = []
    for _ in range(args.runs):
        undo()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def rule(days: int) -> DueRule:
    return DueRule(WITHIN_DAYS, days=days)


def main() -> None:
    reset_schema()
    print(f"{connection.vendor}: seeding {args.users} users ...", file=sys.stderr)
    role = seed(args.users)
    pk = str(role.pk)
    table = EnrollmentDeadline._meta.db_table
    waiting = args.users - args.users // 3
    now = connection.ops.adapt_datetimefield_value(NOW)
    due = connection.ops.adapt_datetimefield_value(NOW + timedelta(days=14))

    def undo_start():
        EnrollmentDeadline.objects.all().delete()
        SecurityRole.objects.filter(pk=role.pk).update(requires_2fa=False, due_rule="next_signin")

    def start():
        settings_update(
            actor=None,
            changes={},
            at=NOW,
            role_deadlines={pk: rule(14)},
            role_requirements={pk: True},
        )

    def floor_start():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, starts_at, due_at, snoozes) "  # noqa: S608
                "SELECT u.id, %s, %s, 0 FROM accounts_user u WHERE u.role_id = %s AND NOT EXISTS "
                "(SELECT 1 FROM twofactor_authenticator a WHERE a.user_id = u.id "
                "AND a.confirmed_at IS NOT NULL)",
                [now, due, role.pk],
            )

    measured = timed(start, undo_start)
    assert EnrollmentDeadline.objects.count() == waiting
    floor = timed(floor_start, undo_start)
    assert EnrollmentDeadline.objects.count() == waiting
    print(
        f"start requiring, {waiting} dates: {measured * 1000:9.1f} ms   floor "
        f"{floor * 1000:9.1f} ms   ratio {measured / floor:5.2f}"
    )

    start()  # the role requires 2FA within 14 days: now change the rule back and forth
    days = iter([30, 14] * args.runs * 2)

    def change():
        settings_update(actor=None, changes={}, at=NOW, role_deadlines={pk: rule(next(days))})

    def floor_change():
        later = "starts_at + interval '30 days'" if PG else "datetime(starts_at, '+30 days')"
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET due_at = {later} WHERE user_id IN "  # noqa: S608
                "(SELECT id FROM accounts_user WHERE role_id = %s)",
                [role.pk],
            )

    measured = timed(change, lambda: None)
    floor = timed(floor_change, lambda: None)
    print(
        f"change the rule, {waiting} dates: {measured * 1000:9.1f} ms   floor "
        f"{floor * 1000:9.1f} ms   ratio {measured / floor:5.2f}"
    )


main()
