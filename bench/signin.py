"""Benchmark: the second-factor POST (/signin/verify/) against a bare login() view, over HTTP.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/signin.py

Starts gunicorn (2 sync workers) on a free local port with bench/signin_app.py, prepares N enrolled
users each held at the second factor (a session and a security token, as the password step leaves
them), then sends, from 8 client threads, N verify POSTs with each user's current TOTP code, and N
POSTs to the bare login view; prints requests per second of each, side by side, and the ratio.
Then, on a fresh gunicorn each, N bare-login POSTs and N full sign-ins (the password step, Argon2
with PORTAL2FA_ARGON2, then the code) from the same 8 threads: the peak RSS (VmHWM in
/proc/<pid>/status) of each worker after them, side by side, and the ratio.
Public tools only: gunicorn, http.client, time.perf_counter, /proc.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--requests", type=int, default=600)
parser.add_argument("--threads", type=int, default=8)
args = parser.parse_args()

os.environ["DJANGO_SETTINGS_MODULE"] = "signin_app"
sys.path[:0] = [HERE, SRC, os.path.join(HERE, "..")]
import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal2fa.accounts.models import SecurityRole, User  # noqa: E402
from portal2fa.twofactor.core import totp  # noqa: E402
from portal2fa.twofactor.machinery import keys  # noqa: E402
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings  # noqa: E402
from portal2fa.twofactor.services.challenge import challenge_issue  # noqa: E402
from portal2fa.twofactor.web.second_factor import TOKEN_KEY  # noqa: E402

CSRF = "b" * 32  # the same secret in the cookie and the form: Django compares them
PASSWORD = "correct horse battery staple"  # for the full sign-ins of the RSS run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(n: int):
    call_command("migrate", interactive=False, verbosity=0)
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    role, _ = SecurityRole.objects.get_or_create(
        name="Bench Signin", defaults={"type": "Employee", "requires_2fa": True}
    )
    secret = totp.new_secret()
    now = timezone.now()
    users = []
    for i in range(n):
        user, _ = User.objects.get_or_create(
            email=f"signin{i}@bench.example",
            defaults={"full_name": f"Signin {i}", "role": role, "password": "!"},
        )
        Authenticator.objects.update_or_create(
            user=user,
            defaults={
                "encrypted_secret": keys.encrypt_secret(secret),
                "created_at": now,
                "confirmed_at": now,
                "last_used_step": None,
            },
        )
        users.append(user)
    return users, secret


def held_session(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[TOKEN_KEY] = challenge_issue(user=user, at=timezone.now())
    session.create()
    return session.session_key


def post(conn, path, body, cookie, csrf=CSRF):
    conn.request(
        "POST",
        path,
        body=urllib.parse.urlencode({**body, "csrfmiddlewaretoken": csrf}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}; {cookie}",
        },
    )
    response = conn.getresponse()
    response.read()
    return response


def answer(response) -> str:
    return f"{response.status} {response.getheader('Location', '')}".strip()


def run(port, jobs, build=None, *, send=None):
    """POST each job from args.threads keep-alive connections; (requests/s, statuses).
    `build(job)` gives one POST's (path, fields, cookie); `send(conn, job)` makes its own."""
    send = send or (lambda conn, job: answer(post(conn, *build(job))))
    statuses, lock = {}, threading.Lock()
    chunks = [jobs[i :: args.threads] for i in range(args.threads)]
    barrier = threading.Barrier(args.threads + 1)

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        barrier.wait()
        for job in chunk:
            where = send(conn, job)
            with lock:
                statuses[where] = statuses.get(where, 0) + 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return len(jobs) / (time.perf_counter() - started), statuses


def start_server(port):
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            f"--chdir={HERE}",
            f"--pythonpath={SRC}",
            "--log-level=warning",
            "signin_app:application",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "signin_app"},
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    return server


def stop_server(server):
    server.terminate()
    server.wait(timeout=10)


def workers_of(master: int) -> list[int]:
    """The gunicorn master's child processes (its workers), from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # pid (comm) state ppid ...: comm may hold spaces, so split after its ")"
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry))
    return sorted(pids)


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set size so far, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def peaks_after(jobs, send) -> list[float]:
    """A fresh gunicorn; the jobs from the client threads (each must end `302 /`); the peak RSS
    of each worker after them, largest first."""
    port = free_port()
    server = start_server(port)
    try:
        _, statuses = run(port, jobs, send=send)
        assert set(statuses) == {"302 /"}, statuses
        return sorted((peak_rss_mb(pid) for pid in workers_of(server.pid)), reverse=True)
    finally:
        stop_server(server)


def cookies_of(response) -> dict:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or ():
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def full_sign_in(conn, i) -> str:
    """The own sign-in page: the password step (Argon2), then the code, as a browser does."""
    response = post(conn, "/signin/", {"email": users[i].email, "password": PASSWORD}, "")
    if answer(response) != "302 /signin/verify/":
        return f"password step: {answer(response)}"
    jar = cookies_of(response)  # a new session id and CSRF secret (views/signin.py)
    code = {"code": code_at(secret, time.time())}
    cookie = f"sessionid={jar['sessionid']}"
    return answer(post(conn, "/signin/verify/", code, cookie, csrf=jar["csrftoken"]))


users, secret = prepare(args.requests)
port = free_port()
server = start_server(port)
from tests.reference_totp import totp as code_at  # noqa: E402 (RFC 6238, independent of the app's)


def bare(i):
    return ("/bench/login/", {"user": users[i].pk}, "")


try:
    run(port, list(range(20)), bare)
    sessions = [held_session(u) for u in users]

    def verify(i):
        return (
            "/signin/verify/",
            {"code": code_at(secret, time.time())},
            f"sessionid={sessions[i]}",
        )

    # Interleaved rounds, so both see the same machine (it is shared): verify, then bare login.
    rounds, statuses, floor_statuses = 6, {}, {}
    verify_time = login_time = 0.0
    ratios = []
    for r in range(rounds):
        jobs = list(range(r, len(users), rounds))
        rate_r, st = run(port, jobs, verify)
        floor_r, fst = run(port, jobs, bare)
        verify_time += len(jobs) / rate_r
        login_time += len(jobs) / floor_r
        ratios.append(rate_r / floor_r)
        for k, v in st.items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in fst.items():
            floor_statuses[k] = floor_statuses.get(k, 0) + v
    rate, floor = len(users) / verify_time, len(users) / login_time
    ratios.sort()
    print(
        f"ratio per round: min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}, max {ratios[-1]:.2f}"
    )
    print(f"verify POST   {rate:7.1f} req/s   responses {statuses}")
    print(f"bare login()  {floor:7.1f} req/s   responses {floor_statuses}")
    print(f"ratio verify / bare login: {rate / floor:.2f} (target >= 0.6)")
finally:
    stop_server(server)

# Peak RSS per worker: each run on a fresh gunicorn (VmHWM only grows over a process's life),
# the bare-login floor first, then N full sign-ins (password step with Argon2, then the code; the
# codes' replay guard reset, as every user's code of this time step was used above).
jobs = list(range(len(users)))
floor_peaks = peaks_after(jobs, lambda conn, i: answer(post(conn, *bare(i))))
User.objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(PASSWORD))
Authenticator.objects.filter(user__in=users).update(last_used_step=None)
peaks = peaks_after(jobs, full_sign_in)
mb = ", ".join
print(
    f"peak RSS per worker after {len(jobs)} sign-ins from {args.threads} clients (VmHWM, MB): "
    f"password + verify {mb(f'{p:.1f}' for p in peaks)}; "
    f"bare login() {mb(f'{p:.1f}' for p in floor_peaks)}; "
    f"ratio of the largest {max(peaks) / max(floor_peaks):.2f}"
)
