import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from portal2fa.api.services.tokens import token_create


@pytest.fixture
def make_token(db):
    def make(*scopes, name=None, expires_at=None):
        new = token_create(
            actor=None,
            name=name or "-".join(scopes) or "token",
            scopes=list(scopes),
            at=timezone.now(),
            expires_at=expires_at,
        )
        return new.secret

    return make


@pytest.fixture
def api(client):
    """The Django test client calling the API with a bearer token: api(token).get("users")."""

    class Caller:
        def __init__(self, token):
            self.headers = {"Authorization": f"Bearer {token}"} if token else {}

        def _url(self, path):
            return f"/api/two-factor/v1/{path}"

        def get(self, path, **params):
            return client.get(self._url(path), params, headers=self.headers)

        def post(self, path, body=None):
            return client.post(
                self._url(path), json.dumps(body or {}), "application/json", headers=self.headers
            )

        def patch(self, path, body):
            return client.patch(
                self._url(path), json.dumps(body), "application/json", headers=self.headers
            )

    return Caller


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # two workers' 8 connections each may arrive at once
    daemon_threads = True


class Receiver:
    """A local webhook receiver on a real socket: keeps what it got (headers, body), answers
    `status` (a callable may decide per request); deduplicates nothing (the tests do)."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.status = 204
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the deliver workers' pools expect

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portal2fa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = True  # a receiver on loopback
    found = Receiver()
    yield found
    found.stop()
