"""Benchmark: what checking the session generation on every request costs (the default,
PORTAL2FA_SESSION_CHECK_SECONDS = 0) against checking at most every 30 seconds.

    .venv/bin/python bench/session_check.py --users 100000                 # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/session_check.py

Seeds N users with a session generation each, signs one in (a database session, second factor
passed), then measures, each beside its floor and with the ratio:
- the check's read, `session_generation(pk)` (one indexed query), against the same SQL through a
  bare cursor;
- a signed-in GET of the personal page with the check on every request, against the same GET with
  the check at most every 30 s (the check's read skipped): the difference is the check's cost.
On PostgreSQL the script drops and recreates the `public` schema of the database it is given.
Public tools only: the project's virtualenv and time.perf_counter.
"""

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=2000, help="reads and requests per measure")
args = parser.parse_args()

tmp = tempfile.mkdtemp(prefix="portal2fa-bench-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["PORTAL2FA_DATA_DIR"] = tmp
os.environ["DJANGO_SETTINGS_MODULE"] = "portal2fa.config.test_settings"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import SESSION_KEY  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from portal2fa.accounts.models import SecurityRole, User  # noqa: E402
from portal2fa.twofactor.machinery.session_generation import session_generation  # noqa: E402
from portal2fa.twofactor.models import SessionGeneration, TwoFactorSettings  # noqa: E402
from portal2fa.twofactor.web.second_factor import VERIFIED_KEY  # noqa: E402

if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
call_command("migrate", interactive=False, verbosity=0)
TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
role = SecurityRole.objects.create(name="Bench", requires_2fa=False)

print(f"seeding {args.users} users on {connection.vendor} ...", file=sys.stderr)
BATCH = 5000
with transaction.atomic():
    for start in range(0, args.users, BATCH):
        users = User.objects.bulk_create(
            User(
                email=f"u{n}@example.com",
                email_canonical=f"u{n}@example.com",
                full_name=f"User {n}",
                role=role,
                password="!",
            )
            for n in range(start, min(start + BATCH, args.users))
        )
        SessionGeneration.objects.bulk_create(
            SessionGeneration(user_id=user.pk, generation=user.pk % 3) for user in users
        )
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

user = User.objects.order_by("pk")[args.users // 2]
table = SessionGeneration._meta.db_table
floor_sql = f"SELECT generation FROM {table} WHERE user_id = %s LIMIT 1"


def timed(call, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bare_read():
    with connection.cursor() as cursor:
        cursor.execute(floor_sql, [user.pk])
        cursor.fetchone()


client = Client()
client.force_login(user)
session = client.session
session[VERIFIED_KEY] = session[SESSION_KEY]
session.save()
page = reverse("twofactor:account")
assert client.get(page).status_code == 200


def signed_in_get():
    assert client.get(page).status_code == 200


def interleaved_gets(runs):
    """The two settings request by request in turn, so the machine's load weighs on both alike."""
    samples = {0: [], 30: []}
    for _ in range(runs):
        for interval in samples:
            settings.PORTAL2FA_SESSION_CHECK_SECONDS = interval
            started = time.perf_counter()
            signed_in_get()
            samples[interval].append((time.perf_counter() - started) * 1000)
    result = []
    for interval in samples:
        ordered = sorted(samples[interval])
        result.append((statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]))
    return result


interleaved_gets(50)  # warm up both paths (templates, caches, the query plans)
every_request, at_most_every_30s = interleaved_gets(args.runs // 4)
rows = [
    (
        "the check's read",
        timed(lambda: session_generation(user.pk), args.runs),
        timed(bare_read, args.runs),
    ),
    ("signed-in GET, checked every request (0)", every_request, at_most_every_30s),
]
print(f"\n{connection.vendor}, {args.users} users, {args.runs} runs")
print(f"{'measure':44} {'median':>9} {'p95':>9} {'floor median':>13} {'ratio':>6}")
for name, (median, p95), (floor_median, _) in rows:
    print(
        f"{name:44} {median:8.3f}ms {p95:8.3f}ms {floor_median:12.3f}ms "
        f"{median / floor_median:6.2f}"
    )
print("(the GET's floor: the same GET with PORTAL2FA_SESSION_CHECK_SECONDS = 30, no read)")
