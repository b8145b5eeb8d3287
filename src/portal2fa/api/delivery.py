"""Sending one webhook message: signed per the Standard Webhooks specification by the
`standardwebhooks` package, POSTed to the address that addresses.resolve() checked (never a
redirect), over a connection kept per endpoint for the rest of the run."""

import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlsplit

import urllib3
from standardwebhooks import Webhook

from ..twofactor.machinery import keys
from .addresses import AddressRefused, resolve
from .conf import setting

RECHECK_SECONDS = 60  # how long a URL's checked address is reused before resolving it again


class Sender:
    """Connections for one `deliver` run: one pool per (endpoint, address), used by
    PORTAL2FA_WEBHOOK_CONCURRENCY threads at once (a batch's requests wait on the network, not on
    each other). A URL is resolved and checked at most once a minute (not per message: the request
    goes to the address checked anyway, so a DNS answer changed in between cannot redirect it)."""

    def __init__(self):
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._checked: dict[str, tuple[float, tuple]] = {}
        self._lock = threading.Lock()
        self.concurrency = max(1, int(setting("PORTAL2FA_WEBHOOK_CONCURRENCY")))
        self._threads = ThreadPoolExecutor(self.concurrency, thread_name_prefix="portal2fa-deliver")

    def send_all(self, requests: list[dict]) -> list[tuple]:
        """send(**request) for each, several at once; the answers in the same order."""
        return list(self._threads.map(lambda request: self.send(**request), requests))

    def _resolve(self, url: str) -> tuple:
        now = time.monotonic()
        kept = self._checked.get(url)
        if kept is None or now - kept[0] > RECHECK_SECONDS:
            kept = (now, resolve(url))
            self._checked[url] = kept
        return kept[1]

    def _pool(self, url: str):
        with self._lock:
            return self._pool_locked(url)

    def _pool_locked(self, url: str):
        scheme, host, port, address = self._resolve(url)
        key = (scheme, host, port, address)
        if key not in self._pools:
            timeout = urllib3.Timeout(total=setting("PORTAL2FA_WEBHOOK_TIMEOUT_SECONDS"))
            if scheme == "https":
                self._pools[key] = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    timeout=timeout,
                    retries=False,
                    maxsize=self.concurrency,
                    server_hostname=host,
                    assert_hostname=host,
                    ssl_context=ssl.create_default_context(),
                )
            else:
                self._pools[key] = urllib3.HTTPConnectionPool(
                    address, port, timeout=timeout, retries=False, maxsize=self.concurrency
                )
        default_port = 443 if scheme == "https" else 80
        return self._pools[key], host if port == default_port else f"{host}:{port}"

    def send(self, *, url: str, secret: str, message_id: str, payload: str, at: datetime):
        """(HTTP status, "") on an answer, (None, reason) when none came."""
        signature = Webhook(secret).sign(message_id, at, payload)
        headers = {
            "content-type": "application/json",
            "user-agent": "Portal2FA-Webhooks/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            pool, host = self._pool(url)
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            response = pool.urlopen(
                "POST",
                path,
                body=payload.encode("utf-8"),
                headers={**headers, "host": host},
                redirect=False,
                preload_content=True,
            )
        except AddressRefused as error:
            return None, str(error)
        except urllib3.exceptions.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:300]
        return response.status, ""

    def close(self):
        self._threads.shutdown()
        for pool in self._pools.values():
            pool.close()


def endpoint_secret(endpoint) -> str:
    return keys.decrypt_secret(endpoint.encrypted_secret)
