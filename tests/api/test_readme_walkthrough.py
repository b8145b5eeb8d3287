"""The README's helpdesk walkthrough, run as written: the demo seeded in a fresh data folder,
served by gunicorn (two workers), and the README's shell block run by bash against it, with the
real `portal2fa` CLI, curl and the receiver. On PostgreSQL (DATABASE_URL) it runs on a database
of its own."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough -->\n```sh\n(.*?)```", readme, re.S)
    assert block, "the README's walkthrough block is missing"
    return block.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(data_dir: Path, database_url: str | None) -> dict:
    """A shell's environment: none of the test run's Django settings or keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PORTAL2FA_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env["PORTAL2FA_DATA_DIR"] = str(data_dir)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture
def database_url():
    """None on SQLite (the demo's file in the data folder); on PostgreSQL a fresh database."""
    if connection.vendor != "postgresql":
        yield None
        return
    import psycopg

    settings = connection.settings_dict
    name = f"{settings['NAME']}_walkthrough"
    admin_url = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def served_demo(tmp_path, database_url):
    env = clean_env(tmp_path, database_url)
    seeded = subprocess.run(
        [BIN / "portal2fa", "demo", "--no-serve"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    server = subprocess.Popen(
        [BIN / "portal2fa", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:  # wait for the server's socket: no fixed sleep
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    yield env, f"http://127.0.0.1:{port}"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_the_readme_walkthrough_runs_as_written(served_demo):
    env, url = served_demo
    env = {**env, "PORTAL": url, "RECEIVER_PORT": str(free_port())}
    run = subprocess.run(
        ["bash", "-c", walkthrough()],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout
    assert run.returncode == 0, f"{out}\n{run.stderr}"
    assert "read token: 403" in out
    assert '"removed": "Removed: an authenticator app' in out or '"removed":' in out
    assert '"actor": "API token helpdesk"' in out
    # the killed receiver's event: tried 3 times in that run (no wait), then kept as failed
    assert "Delivered 0; 2 to retry later; 1 failed for good" in out
    assert re.search(r"^\d+\s+siem\s+enrollment\.reset\s+3\s", out, re.M)  # webhook failed
    assert "1 failed delivery queued again." in out
    assert re.search(r"^2$", out, re.M)  # both resets verified by the receiver, once each
    assert re.search(r"^portal2fa_resets_total 2\.0$", out, re.M)
    assert re.search(r'^portal2fa_webhook_deliveries_total\{result="failed"\} 1\.0$', out, re.M)
    assert re.search(r'^portal2fa_webhook_deliveries_total\{result="delivered"\} 2\.0$', out, re.M)
    received = (Path(env["PORTAL2FA_DATA_DIR"]) / "received.jsonl").read_text().splitlines()
    assert len(received) == 2 and all('"type": "enrollment.reset"' in line for line in received)
