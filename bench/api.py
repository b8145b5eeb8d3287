"""Benchmark: the admin API, /metrics and webhook delivery at scale, each next to its floor.

    .venv/bin/python bench/api.py --users 10000                        # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/api.py --users 1000000

On PostgreSQL the named database's public schema is dropped first (a scratch database); --reuse
keeps one seeded by an earlier run (of this script). Measures, each with its floor and the ratio:
the API's Overview (server time through Django's test client, token, throttle and audit
included) against the Overview's data time; the filtered user list's data time against the
hand-written SQL; /metrics against its bare queries; and --events messages delivered by two
`portal2fa deliver` processes to a local receiver (events/s; every webhook-id once) against two
bare keep-alive POST loops to the same receiver.
"""

import argparse
import atexit
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=100_000)
parser.add_argument("--events", type=int, default=10_000)
parser.add_argument("--runs", type=int, default=15)
parser.add_argument("--reuse", action="store_true", help="keep the seeded database (PostgreSQL)")
args = parser.parse_args()

tmp = tempfile.mkdtemp(prefix="portal2fa-bench-api-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["PORTAL2FA_DATA_DIR"] = tmp
os.environ["DJANGO_SETTINGS_MODULE"] = "portal2fa.config.test_settings"
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
sys.path.insert(0, SRC)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal2fa.accounts.models import SecurityRole  # noqa: E402
from portal2fa.api.models import WebhookEndpoint  # noqa: E402
from portal2fa.api.services.tokens import token_create  # noqa: E402
from portal2fa.api.services.webhooks import endpoint_create  # noqa: E402
from portal2fa.audit.models import Action  # noqa: E402
from portal2fa.audit.services import record  # noqa: E402
from portal2fa.twofactor.cli.progress import Progress  # noqa: E402
from portal2fa.twofactor.conf import DEFAULTS  # noqa: E402
from portal2fa.twofactor.machinery import counters  # noqa: E402
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings  # noqa: E402
from portal2fa.twofactor.selectors.overview import Overview  # noqa: E402
from portal2fa.twofactor.selectors.user_list import parse_filter, user_page  # noqa: E402

PG = connection.vendor == "postgresql"
# the test settings recount the dashboard on every load; measure what a site runs, the default
settings.PORTAL2FA_DASHBOARD_SECONDS = DEFAULTS["PORTAL2FA_DASHBOARD_SECONDS"]
settings.ALLOWED_HOSTS = ["*"]
settings.PORTAL2FA_API_CALLS_PER_MINUTE = 1_000_000
settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = True
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def median_ms(fn) -> float:
    out = []
    for _ in range(args.runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return statistics.median(out)


def line(label, measure, floor, unit="ms"):
    print(
        f"  {label:<44} {measure:9.1f} {unit}   floor {floor:9.1f} {unit}   ratio {measure / floor:5.2f}x"
    )


def seed(n: int, roles: list[int]) -> None:
    """Users spread over `roles`; ~70% with an authenticator (a third Pending)."""
    rng = random.Random(1)
    users, auths = [], []
    for i in range(n):
        uid = i + 2
        users.append(
            (
                uid,
                f"u{i}@bench.example",
                f"u{i}@bench.example",
                f"User {i}",
                "!",
                True,
                rng.choice(roles),
                NOW,
            )
        )
        roll = rng.random()
        if roll >= 0.3:
            confirmed = None if roll < 0.45 else NOW - timedelta(days=rng.uniform(0, 90))
            auths.append(
                (
                    uid,
                    "bench",
                    NOW,
                    confirmed,
                    10 if confirmed else 0,
                    10 if confirmed else 0,
                    True,
                    0,
                )
            )
    user_cols = "id, email, email_canonical, full_name, password, is_active, role_id, date_joined"
    auth_cols = "user_id, encrypted_secret, created_at, confirmed_at, backup_codes_remaining, backup_codes_issued, user_active, passkeys"
    with Progress("Seeding users", n, force=True) as progress, transaction.atomic():
        if PG:
            with connection.connection.cursor() as cursor:
                with cursor.copy(f"COPY accounts_user ({user_cols}) FROM STDIN") as copy:
                    for row in users:
                        copy.write_row(row)
                progress.add(n)
                with cursor.copy(f"COPY twofactor_authenticator ({auth_cols}) FROM STDIN") as copy:
                    for row in auths:
                        copy.write_row(row)
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), (SELECT max(id) FROM accounts_user))"
                )
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO accounts_user ({user_cols}) VALUES ({', '.join(['%s'] * 8)})",
                    users,
                )
                progress.add(n)
                cursor.executemany(
                    f"INSERT INTO twofactor_authenticator ({auth_cols}) VALUES ({', '.join(['%s'] * 8)})",
                    auths,
                )
    counters.rebuild()
    raw("VACUUM ANALYZE" if PG else "ANALYZE")


class Receiver:
    """A keep-alive receiver in this process that counts every POST by webhook-id."""

    def __init__(self):
        self.ids = Counter()
        lock = threading.Lock()
        ids = self.ids

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with lock:
                    ids[self.headers.get("webhook-id")] += 1
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# ---------------------------------------------------------------------------------------------
if PG and not args.reuse:
    raw("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
call_command("migrate", interactive=False, verbosity=0)
print(
    f"database: {connection.vendor}; users: {args.users:,}; runs: {args.runs}; {time.strftime('%Y-%m-%d %H:%M')}"
)
if not Authenticator.objects.exists():
    roles = [
        SecurityRole.objects.create(name=f"Bench {k}", type="Employee", requires_2fa=True).pk
        for k in range(10)
    ]
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    started = time.perf_counter()
    seed(args.users, roles)
    print(f"  seeded {args.users:,} users in {time.perf_counter() - started:.1f} s")
policy = TwoFactorSettings.objects.get(pk=1)
role = SecurityRole.objects.get(name="Bench 3")
name = f"bench-{time.time_ns()}"
secret = token_create(actor=None, name=name, scopes=["read"], at=timezone.now()).secret
client = Client(headers={"Authorization": f"Bearer {secret}"})

print("API Overview (server time, in-process) against the Overview's data time")
assert client.get("/api/two-factor/v1/overview?limit=10").status_code == 200
data = median_ms(lambda: Overview(policy, now=timezone.now()).data(limit=10))
api = median_ms(lambda: client.get("/api/two-factor/v1/overview?limit=10"))
line("GET /api/two-factor/v1/overview (target <= 1.5x)", api, data)

print("Filtered user list, 100 a page (data time) against hand-written SQL")
USER_SQL = (
    "SELECT u.id, u.full_name, u.email FROM accounts_user u LEFT JOIN twofactor_authenticator a "
    "ON a.user_id = u.id WHERE u.role_id = %s AND {where} ORDER BY u.id LIMIT 101"
)
for state, where in (
    ("pending", "a.id IS NOT NULL AND a.confirmed_at IS NULL"),
    ("not_started", "a.id IS NULL"),
    ("enrolled", "a.confirmed_at IS NOT NULL"),
):
    measure = median_ms(
        lambda s=state: user_page(
            parse_filter(state=s, role=str(role.pk)), now=timezone.now(), size=100
        )
    )
    floor = median_ms(lambda w=where: raw(USER_SQL.format(where=w), [role.pk]))
    line(f"users state={state} role=Bench 3 (target <= 50 ms)", measure, floor)
    http = median_ms(
        lambda s=state: client.get(f"/api/two-factor/v1/users?state={s}&role=Bench%203")
    )
    line(f"  GET …/users?state={state}&role=… (server time)", http, measure)

print("/metrics (server time, in-process) against its bare queries")
assert client.get("/metrics").status_code == 200
metrics = median_ms(lambda: client.get("/metrics"))


def metrics_floor():
    raw("SELECT name, SUM(value) FROM portal2fa_api_metriccounter GROUP BY name")
    raw("SELECT name, SUM(value) FROM twofactor_overviewcounter GROUP BY name")
    raw("SELECT COUNT(*) FROM portal2fa_api_webhookmessage WHERE status = 'pending'")


line("GET /metrics (target < 20 ms)", metrics, median_ms(metrics_floor))

print(f"Webhooks: {args.events:,} events, two `portal2fa deliver` processes, a local receiver")
receiver = Receiver()
WebhookEndpoint.objects.all().delete()  # and their messages: a scratch database
endpoint_create(
    actor=None,
    name=name,
    url=f"http://127.0.0.1:{receiver.port}/hook",
    event_types=["signin.password_failed"],
    at=timezone.now(),
)
with transaction.atomic():
    for n in range(args.events):
        record(Action.SIGNIN_PASSWORD_FAILED, attempt=n)
env = {**os.environ, "PYTHONPATH": SRC, "PORTAL2FA_WEBHOOK_ALLOW_PRIVATE": "1"}
command = [
    sys.executable,
    "-c",
    "import django,sys; django.setup(); from portal2fa.twofactor.cli import main; sys.exit(main(['deliver']))",
]
started = time.perf_counter()
workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
outputs = [w.communicate()[0].strip() for w in workers]
seconds = time.perf_counter() - started
twice = sum(1 for count in receiver.ids.values() if count > 1)
print(f"  workers: {outputs}")
print(
    f"  received {sum(receiver.ids.values()):,} requests, {len(receiver.ids):,} distinct webhook-ids, {twice} delivered twice, {args.events - len(receiver.ids)} lost"
)

import http.client  # noqa: E402


def bare_posts(count):
    conn = http.client.HTTPConnection("127.0.0.1", receiver.port)
    for n in range(count):
        conn.request(
            "POST",
            "/hook",
            body=b"{}",
            headers={
                "webhook-id": f"floor_{threading.get_ident()}_{n}",
                "content-type": "application/json",
            },
        )
        conn.getresponse().read()
    conn.close()


floor_started = time.perf_counter()
threads = [threading.Thread(target=bare_posts, args=(args.events // 2,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
floor_seconds = time.perf_counter() - floor_started
working = max(float(re.search(r"([\d.]+) s\.$", out).group(1)) for out in outputs)
print(
    f"  {seconds:.1f} s from starting the two processes, {working:.1f} s delivering (without Django's start)"
)
rate, floor_rate = args.events / working, args.events / floor_seconds
print(
    f"  {'delivered (target >= 500 events/s)':<44} {rate:9.0f} /s   floor {floor_rate:9.0f} /s   ratio {floor_rate / rate:5.2f}x slower"
)
