"""Portal 2FA beside django-allauth's mfa and django-two-factor-auth: the same sign-in, over HTTP.

    .venv-bench/bin/python -m bench.peers.run                    # see bench/README.md
    .venv-bench/bin/python -m bench.peers.run --hasher argon2    # everyone on Argon2

One Django project (bench/peers/), a settings module per contender, a PostgreSQL database each on
the same server, seeded alike (10,000 users with an authenticator-app device each, bench/peers/
seed.py), served alike (gunicorn, 2 sync workers, the same hasher). Rounds interleave the
contenders (their order rotates); every measure is paired per round: Portal 2FA / the better
peer, and the median of those ratios is printed. A sign-in is what a browser sends: the password
POST, then the code POST (cookies followed, the CSRF secret sent as the form's token).

Measures: complete sign-ins/s from 1 and from 8 clients; the code POST's p50 (1 client); a wrong
code's POST p50 (1 client, after a password POST); SQL statements of each POST (the X-Statements
header of bench/peers/statements.py); each worker's RSS after 500 sign-ins from 8 clients, on a
fresh gunicorn. Public tools only: gunicorn, http.client, pyotp, /proc.
"""

import argparse
import base64
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import psycopg
import pyotp

from .seed import PASSWORD, secret_of, username_of

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CSRF = "b" * 32  # first request: the same secret in the cookie and the form


class Contender:
    def __init__(self, name, module, database, password_path, after_password, code_path):
        self.name, self.module, self.database = name, module, database
        self.password_path, self.after_password, self.code_path = (
            password_path,
            after_password,
            code_path,
        )

    def password_fields(self, i):
        return {"email": username_of(i), "password": PASSWORD}

    def code_fields(self, code):
        return {"code": code}


class TwoFactorAuth(Contender):
    """The login wizard: its steps are named in the form; the token step answers the password
    POST directly (200, no redirect)."""

    def password_fields(self, i):
        return {
            "login_view-current_step": "auth",
            "auth-username": username_of(i),
            "auth-password": PASSWORD,
        }

    def code_fields(self, code):
        return {"login_view-current_step": "token", "token-otp_token": code}


class AllauthMfa(Contender):
    def password_fields(self, i):
        return {"login": username_of(i), "password": PASSWORD}


CONTENDERS = [
    Contender(
        "Portal 2FA",
        "portal",
        "portal",
        "/signin/",
        "302 /signin/verify/",
        "/signin/verify/",
    ),
    AllauthMfa(
        "allauth.mfa",
        "allauth_mfa",
        "allauth",
        "/accounts/login/",
        "302 /accounts/2fa/authenticate/",
        "/accounts/2fa/authenticate/",
    ),
    TwoFactorAuth(
        "two-factor-auth",
        "two_factor",
        "two_factor",
        "/account/login/",
        "200",
        "/account/login/",
    ),
]


def code_of(i: int, at: float, offset: int = 0) -> str:
    return pyotp.TOTP(base64.b32encode(secret_of(i)).decode()).at(at, counter_offset=offset)


def wrong_code_of(i: int, at: float) -> str:
    """A code that no step within ±2 of now accepts."""
    near = {code_of(i, at, k) for k in range(-2, 3)}
    n = int(code_of(i, at))
    while f"{n:06d}" in near:
        n = (n + 1) % 1_000_000
    return f"{n:06d}"


# ---- HTTP -------------------------------------------------------------------------------------


def post(conn, path, fields, jar):
    body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": jar["csrftoken"]})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or ():
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if value in ("", '""'):
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value
    return response


def answer(response) -> str:
    return f"{response.status} {response.getheader('Location', '')}".strip()


class Users:
    """Each contender's users, handed out in turn (a user's code is used once per time step)."""

    def __init__(self, n):
        self.n, self.next, self.lock = n, 0, threading.Lock()

    def take(self):
        with self.lock:
            i, self.next = self.next % self.n, self.next + 1
            return i


def sign_in(conn, contender, i, *, wrong=False):
    """Password POST, then the code POST. Returns (outcome, code POST seconds, statements of the
    password POST, statements of the code POST); outcome "ok", "refused" or what went wrong."""
    jar = {"csrftoken": CSRF}
    response = post(conn, contender.password_path, contender.password_fields(i), jar)
    if answer(response) != contender.after_password:
        return f"password POST: {answer(response)}", 0.0, 0, 0
    password_statements = int(response.getheader("X-Statements", "0"))
    now = time.time()
    code = wrong_code_of(i, now) if wrong else code_of(i, now)
    started = time.perf_counter()
    response = post(conn, contender.code_path, contender.code_fields(code), jar)
    seconds = time.perf_counter() - started
    code_statements = int(response.getheader("X-Statements", "0"))
    outcome = "ok" if answer(response) == "302 /" else "refused"
    if outcome == "refused" and not wrong:
        outcome = f"refused: {answer(response)}"
    return outcome, seconds, password_statements, code_statements


def run_clients(port, contender, users, count, clients, *, wrong=False):
    """`count` sign-ins from `clients` threads, one keep-alive connection each.
    Returns (sign-ins per second, [results])."""
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(clients + 1)
    shares = [count // clients + (1 if k < count % clients else 0) for k in range(clients)]

    def client(share):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        for _ in range(share):
            result = sign_in(conn, contender, users.take(), wrong=wrong)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - started), results


# ---- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(contender, hasher):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"bench.peers.{contender.module}",
        "PEERS_HASHER": hasher,
        "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "src")]),  # this checkout's code
    }


def start_server(contender, hasher):
    port = free_port()
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            f"--chdir={ROOT}",
            "--log-level=warning",
            "bench.peers.wsgi:application",
        ],
        env=environment(contender, hasher),
    )
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    return server, port


def stop_server(server):
    server.terminate()
    server.wait(timeout=20)


def workers_of(master: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry))
    return sorted(pids)


def memory_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def prepare(contender, users, database_url, hasher, *, fresh):
    """Create the contender's database when missing (or anew with --fresh), migrate and seed."""
    name = os.environ["PEERS_DATABASE_PREFIX"] + contender.database
    with psycopg.connect(database_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "-m", "bench.peers.seed", str(users)],
        env={**environment(contender, hasher), "PEERS_DATABASE_URL": database_url},
        cwd=ROOT,
        check=True,
    )


# ---- the comparison ---------------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else float("nan")


def p50_ms(results):
    return (
        median([seconds for outcome, seconds, *_ in results if outcome in ("ok", "refused")]) * 1000
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--one", type=int, default=30, help="sign-ins per round from 1 client")
    parser.add_argument("--eight", type=int, default=120, help="sign-ins per round from 8 clients")
    parser.add_argument("--wrong", type=int, default=30, help="wrong codes per round (1 client)")
    parser.add_argument("--rss-sign-ins", type=int, default=500)
    parser.add_argument("--hasher", choices=["fast", "argon2"], default="fast")
    parser.add_argument("--fresh", action="store_true", help="drop and seed the databases anew")
    parser.add_argument(
        "--database-prefix",
        default="peers_bench_",
        help="the databases are <prefix>portal, <prefix>allauth, <prefix>two_factor",
    )
    parser.add_argument("--only", help="comma-separated contender modules (a partial run)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    database_url = os.environ.get(
        "PEERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    os.environ["PEERS_DATABASE_URL"] = database_url
    os.environ["PEERS_DATABASE_PREFIX"] = args.database_prefix
    contenders = [c for c in CONTENDERS if not args.only or c.module in args.only.split(",")]
    for contender in contenders:
        prepare(contender, args.users, database_url, args.hasher, fresh=args.fresh)

    users = {c.name: Users(args.users) for c in contenders}
    measures = {c.name: {"one": [], "eight": [], "code": [], "wrong": []} for c in contenders}
    statements = {c.name: {"password": [], "code": [], "wrong": []} for c in contenders}
    outcomes = {c.name: {} for c in contenders}
    servers = {c.name: start_server(c, args.hasher) for c in contenders}
    try:
        for contender in contenders:  # warm up: every worker has imported what a sign-in needs
            run_clients(servers[contender.name][1], contender, users[contender.name], 8, 4)
        for r in range(args.rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for contender in order:
                port, mine = servers[contender.name][1], users[contender.name]
                rate1, one = run_clients(port, contender, mine, args.one, 1)
                rate8, eight = run_clients(port, contender, mine, args.eight, 8)
                _, wrong = run_clients(port, contender, mine, args.wrong, 1, wrong=True)
                m = measures[contender.name]
                m["one"].append(rate1)
                m["eight"].append(rate8)
                m["code"].append(p50_ms(one))
                m["wrong"].append(p50_ms(wrong))
                for outcome, _, password_n, code_n in one + eight:
                    outcomes[contender.name][outcome] = outcomes[contender.name].get(outcome, 0) + 1
                    if outcome == "ok":
                        statements[contender.name]["password"].append(password_n)
                        statements[contender.name]["code"].append(code_n)
                for outcome, _, _password_n, code_n in wrong:
                    if outcome != "refused":
                        outcomes[contender.name]["wrong code: " + outcome] = 1 + outcomes[
                            contender.name
                        ].get("wrong code: " + outcome, 0)
                    else:
                        statements[contender.name]["wrong"].append(code_n)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for server, _ in servers.values():
            stop_server(server)

    rss = {}
    for contender in contenders:  # a fresh gunicorn each: VmHWM only grows over a process's life
        server, port = start_server(contender, args.hasher)
        try:
            _, results = run_clients(port, contender, users[contender.name], args.rss_sign_ins, 8)
            pids = workers_of(server.pid)
            rss[contender.name] = (
                max(memory_mb(p, "VmRSS") for p in pids),
                max(memory_mb(p, "VmHWM") for p in pids),
                sum(1 for outcome, *_ in results if outcome == "ok"),
            )
        finally:
            stop_server(server)

    report(args, contenders, measures, statements, outcomes, rss)


def report(args, contenders, measures, statements, outcomes, rss):
    portal, peers = contenders[0], contenders[1:]
    names = [c.name for c in contenders]
    print()
    print(
        f"{args.users} users each, {args.rounds} interleaved rounds, hasher {args.hasher}; "
        "ratio = Portal 2FA / the better peer, median (min–max) of the per-round ratios"
    )
    header = f"{'measure':38}" + "".join(f"{n:>17}" for n in names) + f"{'ratio':>8}"
    print(header)
    print("-" * len(header))
    rows = [
        ("complete sign-ins/s, 1 client", "one", max, "{:.1f}"),
        ("complete sign-ins/s, 8 clients", "eight", max, "{:.1f}"),
        ("code POST p50, 1 client (ms)", "code", min, "{:.1f}"),
        ("wrong code POST p50, 1 client (ms)", "wrong", min, "{:.1f}"),
    ]
    for label, key, better, fmt in rows:
        values = [fmt.format(median(measures[n][key])) for n in names]
        ratio, spread = "—", ""
        if portal.name == names[0] and peers:
            per_round = [
                measures[portal.name][key][r] / better(measures[p.name][key][r] for p in peers)
                for r in range(args.rounds)
            ]
            ratio = f"{median(per_round):.2f}"
            spread = f"  (rounds {min(per_round):.2f}–{max(per_round):.2f})"
        print(f"{label:38}" + "".join(f"{v:>17}" for v in values) + f"{ratio:>8}" + spread)
    for label, key in (
        ("SQL statements, password POST", "password"),
        ("SQL statements, valid code POST", "code"),
        ("SQL statements, wrong code POST", "wrong"),
    ):
        values = []
        for n in names:
            seen = sorted(set(statements[n][key]))
            if not seen:
                values.append("?")
            else:
                values.append(str(seen[0]) if seen[0] == seen[-1] else f"{seen[0]}–{seen[-1]}")
        print(f"{label:38}" + "".join(f"{v:>17}" for v in values))
    if rss:
        values = [f"{rss[n][1]:.1f} ({rss[n][0]:.1f})" for n in names]
        ratio = "—"
        if peers:
            ratio = f"{rss[portal.name][1] / min(rss[p.name][1] for p in peers):.2f}"
        label = f"worker peak (now) RSS MB, {args.rss_sign_ins} sign-ins"
        print(f"{label:38}" + "".join(f"{v:>17}" for v in values) + f"{ratio:>8}")
    for n in names:
        print(f"{n}: outcomes of the valid sign-ins {outcomes[n]}", end="")
        if rss:
            print(f"; RSS run {rss[n][2]}/{args.rss_sign_ins} signed in", end="")
        print()


if __name__ == "__main__":
    main()
