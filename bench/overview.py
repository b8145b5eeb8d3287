"""Benchmark: the Overview at scale. Seeds N users into a fresh database, then times the widgets.

    .venv/bin/python bench/overview.py                   # 100,000 users on a temporary SQLite file
    .venv/bin/python bench/overview.py --users 1000000   # a million
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/overview.py

On PostgreSQL the named database's public schema is dropped first (it must be a scratch database). Prints the seed
time, the number of SQL queries per Overview, and the min / median / max time of each widget query
and of the whole overview over --runs runs.
"""

import argparse
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=7)
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
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal2fa.accounts.models import SecurityRole, User  # noqa: E402
from portal2fa.accounts.selectors import users_with_state  # noqa: E402
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings  # noqa: E402
from portal2fa.twofactor.selectors import overview  # noqa: E402

if connection.vendor == "postgresql":  # a scratch database: start from an empty schema
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
call_command("migrate", interactive=False, verbosity=0)


def seed(n: int) -> float:
    rng = random.Random(1)
    now = timezone.now()
    started = time.perf_counter()
    role = SecurityRole.objects.create(name="Bench Employees", type="Employee", requires_2fa=True)
    policy, _ = TwoFactorSettings.objects.get_or_create(pk=1)
    policy.enabled = True
    policy.save()
    batch = 20_000
    for offset in range(0, n, batch):
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    email=f"user{i}@bench.example",
                    full_name=f"Bench User {i}",
                    role=role,
                    is_active=rng.random() > 0.05,
                    password="!",
                )
                for i in range(offset, min(offset + batch, n))
            )
            authenticators = []
            for user in users:
                roll = rng.random()
                if roll < 0.3:
                    continue
                confirmed = None if roll < 0.45 else now - timedelta(days=rng.uniform(0, 90))
                remaining = rng.choice([0, 1, 2, 3, 10, 10, 10, 10]) if confirmed else 0
                authenticators.append(
                    Authenticator(
                        user=user,
                        encrypted_secret="bench-not-a-secret",
                        created_at=now,
                        user_active=user.is_active,
                        confirmed_at=confirmed,
                        backup_codes_remaining=remaining,
                        backup_codes_issued=10 if confirmed else 0,
                    )
                )
            Authenticator.objects.bulk_create(authenticators)
    with connection.cursor() as cursor:  # what autovacuum does to a live database
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - started


def timed(label: str, fn) -> None:
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"  {label:<34} min {min(samples):8.1f} ms   median {statistics.median(samples):8.1f} ms   "
        f"max {max(samples):8.1f} ms"
    )


print(f"database: {connection.vendor}; users: {args.users:,}; runs: {args.runs}")
print(f"seeded in {seed(args.users):.1f} s")
policy = TwoFactorSettings.objects.get(pk=1)
now = timezone.now()
with CaptureQueriesContext(connection) as queries:
    overview.overview_data(policy, now=now, limit=10)
print(f"queries per overview: {len(queries)}")
timed("Enrollment Rate + Status Breakdown", overview.enrollment_counts)
timed(
    "no backup codes (count + page)",
    lambda: (overview.users_without_codes().count(), list(overview.users_without_codes()[:10])),
)
timed(
    "low on codes (count + page)",
    lambda: (overview.users_low_on_codes(2).count(), list(overview.users_low_on_codes(2)[:10])),
)
timed(
    "recent enrollments (count + page)",
    lambda: (
        overview.recent_enrollments(now=now).count(),
        list(overview.recent_enrollments(now=now)[:10]),
    ),
)
timed("whole overview (JSON data)", lambda: overview.overview_data(policy, now=now, limit=10))
for term in ("user 12345", "nomatch"):  # the Reset Enrollment typeahead: 10 active matches
    timed(
        f"user search {term!r}",
        lambda t=term: list(users_with_state(search=t).filter(is_active=True)[:10]),
    )
