"""Shared helpers for the view tests: sign-in steps and reading what a page shows."""

import html
import re
from datetime import datetime, timedelta
from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.reference_totp import totp

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)


def sign_in(client, email, password=PASSWORD, *, next_url=None, **extra):
    url = reverse("twofactor:signin")
    if next_url is not None:
        url += "?" + "next=" + next_url
    return client.post(url, {"email": email, "password": password}, **extra)


def text(response) -> str:
    return html.unescape(response.content.decode())


def manual_key(response) -> str:
    match = re.search(r'data-testid="manual-key"[^>]*>([^<]+)<', response.content.decode())
    assert match, "no manual key on the page"
    return match.group(1).strip()


def backup_codes(response) -> list[str]:
    match = re.search(
        r'data-testid="backup-codes"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )
    assert match, "no backup codes on the page"
    return re.findall(r"<code>([^<]+)</code>", match.group(1))


def current_code(secret: str, at: datetime | None = None) -> str:
    return totp(secret, (at or timezone.now()).timestamp())


def wrong_code(secret: str, at: datetime | None = None, skew: int = 21) -> str:
    """A 6-digit code that is valid at no step within ±skew of `at`."""
    at = at or timezone.now()
    valid = {
        totp(secret, (at + timedelta(seconds=30 * k)).timestamp()) for k in range(-skew, skew + 1)
    }
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999)) if c not in valid)


def is_signed_in(client) -> bool:
    """Asked as a browser navigating would (a request that does not accept HTML is an API call)."""
    response = client.get(reverse("accounts:home"), HTTP_ACCEPT="text/html")
    if response.status_code == HTTPStatus.OK:
        return True
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("twofactor:signin"))
    return False


def assert_no_inline_script(response) -> None:
    assert not INLINE_SCRIPT.findall(response.content.decode()), "inline <script> on the page"


def twin_runs_first(monkeypatch, module, name: str, client, send) -> list:
    """Two requests of one browser session in flight at once, the interleaving forced: the next
    call of `module.<name>` (by the request `client` sends next) first runs `send(twin)` whole,
    the twin being a client with the same cookie jar. Returns the list receiving the twin's
    response."""
    from django.test import Client

    twin = Client()
    twin.cookies = client.cookies
    real = getattr(module, name)
    responses = []

    def twin_first(**kwargs):
        monkeypatch.setattr(module, name, real)
        responses.append(send(twin))
        return real(**kwargs)

    monkeypatch.setattr(module, name, twin_first)
    return responses
