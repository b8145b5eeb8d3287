"""Benchmark: the Overview, the typeahead and the password step at scale, each next to its floor.

    .venv/bin/python bench/overview.py --users 10000                  # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/overview.py --users 1000000

On PostgreSQL the named database's public schema is dropped first (it must be a scratch database);
--reuse keeps a database seeded by an earlier run. Seeding shows a progress line (rows/s, ETA) on
stderr. Every measure is printed with its floor, measured side by side in the same run, and the
ratio measure / floor. Public tools only: time.perf_counter, resource.getrusage.
"""

import argparse
import atexit
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=15)
parser.add_argument("--reuse", action="store_true", help="keep the seeded database (PostgreSQL)")
parser.add_argument("--skip-password", action="store_true")
parser.add_argument("--inputs", type=int, default=20, help="typeahead inputs per class (<= 20)")
parser.add_argument("--only-typeahead", action="store_true", help="skip the Overview measures")
args = parser.parse_args()

tmp = tempfile.mkdtemp(prefix="portal2fa-bench-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["PORTAL2FA_DATA_DIR"] = tmp
os.environ["DJANGO_SETTINGS_MODULE"] = "portal2fa.config.test_settings"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.conf import settings as _settings  # noqa: E402

from portal2fa.twofactor.conf import DEFAULTS  # noqa: E402

# the test settings count the dashboard on every load (tests change data between loads): measure
# what a site runs, the default
_settings.PORTAL2FA_DASHBOARD_SECONDS = DEFAULTS["PORTAL2FA_DASHBOARD_SECONDS"]

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal2fa.accounts.models import SecurityRole, User  # noqa: E402
from portal2fa.demo import FIRST, LAST  # noqa: E402
from portal2fa.twofactor.cli.progress import Progress  # noqa: E402
from portal2fa.twofactor.conf import setting  # noqa: E402
from portal2fa.twofactor.core.canonical import canonical_identifier  # noqa: E402
from portal2fa.twofactor.machinery import counters  # noqa: E402
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings  # noqa: E402
from portal2fa.twofactor.selectors import users as user_rows  # noqa: E402
from portal2fa.twofactor.selectors.overview import Overview  # noqa: E402
from portal2fa.twofactor.web.second_factor import VERIFIED_KEY  # noqa: E402

PG = connection.vendor == "postgresql"
settings.ALLOWED_HOSTS = ["*"]
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
BATCH = 50_000


def people(n: int, rng: random.Random):
    """(id, email, full_name, is_active) for users 2..n+1: names from the demo's lists."""
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield (
            i + 2,
            f"{first}.{last}.{i}@example.com".lower(),
            f"{first} {last}",
            rng.random() > 0.05,
        )


def authenticator_of(uid: int, active: bool, rng: random.Random):
    roll = rng.random()
    if roll < 0.3:
        return None  # Not Started
    confirmed = None if roll < 0.45 else NOW - timedelta(days=rng.uniform(0, 90))
    remaining = rng.choice([0, 1, 2, 3, 10, 10, 10, 10]) if confirmed else 0
    issued = 10 if confirmed else 0
    return (uid, "bench-not-a-secret", NOW, confirmed, remaining, issued, active, 0)


def secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) of the users' and authenticators' indexes other than primary keys
    and constraints, to drop before the bulk load and build after it."""
    return raw(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
        "('accounts_user', 'twofactor_authenticator') AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)"
    )


def build_indexes(indexes, *, workers: int) -> None:
    import psycopg

    todo = sorted((d for _, d in indexes), key=lambda d: "gin" not in d)  # the slowest first
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


def seed(n: int, role_id: int) -> float:
    rng = random.Random(1)
    started = time.perf_counter()
    # email_canonical: these emails are lower-case ASCII, their own canonical form
    assert canonical_identifier("ada.lovelace.0@example.com") == "ada.lovelace.0@example.com"
    user_cols = (
        "id", "email", "email_canonical", "full_name", "password", "is_active", "role_id",
        "date_joined",
    )  # fmt: skip
    marks = ", ".join(["%s"] * len(user_cols))
    auth_cols = (
        "user_id",
        "encrypted_secret",
        "created_at",
        "confirmed_at",
        "backup_codes_remaining",
        "backup_codes_issued",
        "user_active",
        "passkeys",
    )
    for model, given in ((User, user_cols), (Authenticator, auth_cols)):  # a column added later
        missing = [
            f.column
            for f in model._meta.concrete_fields
            if f.column not in given and not f.null and not f.primary_key
        ]
        assert not missing, f"bench/overview.py: give {model.__name__}'s {missing} in the seed"
    with Progress("Seeding users", n, force=True) as progress, transaction.atomic():
        if PG:
            indexes = secondary_indexes()
            with connection.cursor() as cursor:  # built once after the load: faster than per row
                for name, _ in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
            pg = connection.connection  # psycopg 3: COPY ... FROM STDIN
            with pg.cursor() as cursor:
                auth_rows = []
                with cursor.copy(f"COPY accounts_user ({', '.join(user_cols)}) FROM STDIN") as copy:
                    for uid, email, name, active in people(n, rng):
                        copy.write_row((uid, email, email, name, "!", active, role_id, NOW))
                        row = authenticator_of(uid, active, rng)
                        if row:
                            auth_rows.append(row)
                        if uid % 10_000 == 0:
                            progress.add(10_000)
                progress.add(n - progress.done)
                cols = ", ".join(auth_cols)
                with cursor.copy(f"COPY twofactor_authenticator ({cols}) FROM STDIN") as copy:
                    for row in auth_rows:
                        copy.write_row(row)
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
                    "(SELECT max(id) FROM accounts_user))"
                )
        else:
            with connection.cursor() as cursor:
                batch, auth_rows = [], []
                for uid, email, name, active in people(n, rng):
                    batch.append((uid, email, email, name, "!", active, role_id, NOW))
                    row = authenticator_of(uid, active, rng)
                    if row:
                        auth_rows.append(row)
                    if len(batch) == BATCH:
                        cursor.executemany(
                            f"INSERT INTO accounts_user ({', '.join(user_cols)}) VALUES ({marks})",
                            batch,
                        )
                        progress.add(len(batch))
                        batch = []
                cursor.executemany(
                    f"INSERT INTO accounts_user ({', '.join(user_cols)}) VALUES ({marks})", batch
                )
                progress.add(len(batch))
                cursor.executemany(
                    f"INSERT INTO twofactor_authenticator ({', '.join(auth_cols)}) VALUES "
                    f"({', '.join(['%s'] * len(auth_cols))})",
                    auth_rows,
                )
    if PG:  # committed: now the indexes, two at a time on their own connections (2 cores)
        loaded = time.perf_counter()
        build_indexes(indexes, workers=2)
        print(
            f"  COPY {loaded - started:.1f} s, then {len(indexes)} indexes built in "
            f"{time.perf_counter() - loaded:.1f} s",
            file=sys.stderr,
        )
    seeded = time.perf_counter() - started
    counters.rebuild()  # the bulk load skipped the services: recount once (overview --verify --fix)
    with connection.cursor() as cursor:  # what autovacuum does to a live database
        cursor.execute("VACUUM ANALYZE" if PG else "ANALYZE")
    return seeded


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
            f"  {label:<40} {measure:9.1f} {unit}   floor {floor:9.1f} {unit}   ratio {measure / floor:5.2f}x"
        )
    else:
        print(f"  {label:<40} {measure:9.1f} {unit}")


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# ---------------------------------------------------------------------------------------------
if PG and not args.reuse:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
call_command("migrate", interactive=False, verbosity=0)
print(
    f"database: {connection.vendor}; users: {args.users:,}; runs: {args.runs}; {time.strftime('%Y-%m-%d %H:%M')}"
)
admin_role = SecurityRole.objects.filter(grants_setup=True).first()
if not User.objects.filter(email="admin@bench.example").exists():
    role = SecurityRole.objects.create(name="Bench Employees", type="Employee", requires_2fa=True)
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    seconds = seed(args.users, role.pk)
    line("seeding (users per second)", args.users / seconds, unit="/s")
    print(f"  seeded {args.users:,} users in {seconds:.1f} s (target: 1M in <= 30 s on PostgreSQL)")
    User.objects.create(
        email="admin@bench.example", full_name="Bench Admin", role=admin_role, password="!"
    )
policy = TwoFactorSettings.objects.get(pk=1)
admin = User.objects.get(email="admin@bench.example")

# ---- Overview -------------------------------------------------------------------------------
if not args.only_typeahead:
    print("Overview")
    with CaptureQueriesContext(connection) as captured:
        Overview(policy, now=timezone.now()).data(limit=10)
    print(f"  SQL statements per overview: {len(captured)}")

    recent_since = timezone.now() - timedelta(days=30)
    PAGE = (
        "SELECT u.full_name, u.email{extra} FROM twofactor_authenticator a JOIN accounts_user u "
        "ON u.id = a.user_id WHERE a.confirmed_at IS NOT NULL AND a.user_active AND {where} "
        "ORDER BY {order} LIMIT 10"
    )

    def overview_floor():
        """The same numbers and first pages, hand-written: the counter sums, three list pages, roles."""
        raw("SELECT name, SUM(value) FROM twofactor_overviewcounter GROUP BY name")
        raw(
            PAGE.format(
                extra="",
                where="a.backup_codes_remaining = 0 AND a.backup_codes_issued > 0",
                order="a.confirmed_at DESC, a.id DESC",
            )
        )
        raw(
            PAGE.format(
                extra=", a.backup_codes_remaining",
                where="a.backup_codes_remaining BETWEEN 1 AND %s",
                order="a.backup_codes_remaining, a.confirmed_at DESC, a.id DESC",
            ),
            [policy.low_codes_threshold],
        )
        raw(
            PAGE.format(
                extra=", a.confirmed_at",
                where="a.confirmed_at >= %s",
                order="a.confirmed_at DESC, a.id DESC",
            ),
            [recent_since],
        )
        raw("SELECT name, type FROM accounts_securityrole WHERE NOT requires_2fa ORDER BY name")

    def overview_data():
        Overview(policy, now=timezone.now()).data(limit=10)

    client = Client()
    client.force_login(admin)
    session = client.session
    session[VERIFIED_KEY] = str(admin.pk)
    session.save()
    page_url, json_url = (
        reverse("twofactor:setup-overview"),
        reverse("twofactor:setup-overview-json"),
    )
    assert client.get(page_url).status_code == 200, "the admin cannot see the Overview"
    floor = statistics.median(samples(overview_floor))
    data = statistics.median(samples(overview_data))
    line("Overview data (median)", data, floor)
    line(
        "Overview page, in-process HTTP (median)",
        statistics.median(samples(lambda: client.get(page_url))),
        floor,
    )
    line(
        "Overview JSON, in-process HTTP (median)",
        statistics.median(samples(lambda: client.get(json_url))),
        floor,
    )

    def dashboard_recount():
        """What one load in PORTAL2FA_DASHBOARD_SECONDS pays: the two scans of the users."""
        overview = Overview(policy, now=timezone.now())
        overview._count_role_adoption()
        overview._count_enrollment_trend()

    seconds = setting("PORTAL2FA_DASHBOARD_SECONDS")
    line(
        f"  the per-role adoption and trend, recounted once per {seconds} s (median)",
        statistics.median(samples(dashboard_recount, runs=3)),
    )

# ---- Typeahead ------------------------------------------------------------------------------
rng = random.Random(2)
CLASSES = {
    "1-2 characters (prefix)": [rng.choice("abcdefghijklmnoprstw") for _ in range(10)]
    + [rng.choice(FIRST)[:2].lower() for _ in range(10)],
    "common term (domain, surname)": [
        "example.com",
        "@example",
        *[rng.choice(LAST) for _ in range(18)],
    ],
    "selective term": [
        f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}.{rng.randrange(args.users)}"
        for _ in range(20)
    ],
    "no match": ["zzqx", "nobody@nowhere", "qwertyuiop", *[f"xq{n}zz" for n in range(17)]],
}
print("Typeahead (search_active, 10 rows; floor: the same SQL run bare through a cursor)")
for label, inputs in CLASSES.items():
    inputs = inputs[: args.inputs]
    measure, bare = [], []
    for q in inputs:
        sql = None
        measure += samples(lambda q=q: user_rows.search_active(q, limit=10), runs=3)
        with CaptureQueriesContext(connection) as captured:
            user_rows.search_active(q, limit=10)
        statements = [(c["sql"]) for c in captured]
        bare += samples(lambda s=statements: [raw(x) for x in s], runs=3)  # params inlined
    line(f"{label} p50", p(measure, 0.5), p(bare, 0.5))
    line(f"{label} p95", p(measure, 0.95), p(bare, 0.95))

# ---- Password step --------------------------------------------------------------------------
if not args.skip_password:
    print("Password step (Argon2 from PORTAL2FA_ARGON2; 8 concurrent checks in one process)")
    encoded = make_password("correct horse battery staple")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    done = []

    def worker():
        for _ in range(4):
            check_password("correct horse battery staple", encoded)
            done.append(1)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line("password checks per second (8 threads)", len(done) / elapsed, unit="/s")
    print(
        f"  {settings.PORTAL2FA_ARGON2 if hasattr(settings, 'PORTAL2FA_ARGON2') else 'default'}; "
        f"peak RSS of this process {peak / 1024:.0f} MB (was {before / 1024:.0f} MB before the checks)"
    )
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
