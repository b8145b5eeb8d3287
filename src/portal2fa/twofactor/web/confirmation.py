"""What a confirmation on the personal page allows, kept in the session (server-side store).

A passkey confirmation (passkeys/step_up.py) lets this signed-in session make one sensitive change
(generate new backup codes, add a key, start setting up an authenticator app) without a code, for
STEP_UP_LIFETIME: the first such change consumes it, and it is bound to the signed-in user. The
secret of an authenticator app being set up is kept here too, encrypted (never in clear, never on
the row until confirmed), for APP_SETUP_LIFETIME.
"""

from datetime import datetime, timedelta

from django.contrib.auth import SESSION_KEY

from ..machinery.step_up_grants import STEP_UP_LIFETIME

STEP_UP_KEY = "portal2fa_step_up"  # {"user", "until", "nonce"}
APP_KEY = "portal2fa_app_setup"  # {"user", "secret" (encrypted), "until"}
APP_SETUP_LIFETIME = timedelta(minutes=10)


def _user(request) -> str:
    return str(request.session.get(SESSION_KEY))


def _valid(request, key: str, *, at: datetime) -> dict | None:
    entry = request.session.get(key)
    if not isinstance(entry, dict):
        return None
    try:
        if entry["user"] == _user(request) and at.timestamp() < float(entry["until"]):
            return entry
    except (KeyError, TypeError, ValueError):
        pass
    request.session.pop(key, None)  # expired, another user's or damaged: gone
    return None


def grant(request, nonce: str, *, at: datetime) -> None:
    """Keep a confirmation's nonce (machinery/step_up_grants.py holds its hash and decides its use)."""
    request.session[STEP_UP_KEY] = {
        "user": _user(request),
        "until": (at + STEP_UP_LIFETIME).timestamp(),
        "nonce": nonce,
    }


def confirmed_until(request, *, at: datetime) -> datetime | None:
    """When this session's confirmation lapses, if it has one (nothing is consumed)."""
    entry = _valid(request, STEP_UP_KEY, at=at)
    return datetime.fromtimestamp(float(entry["until"]), tz=at.tzinfo) if entry else None


def nonce(request, *, at: datetime) -> str | None:
    """The confirmation's nonce, left in the session (a change that may still be refused before
    it reaches the confirmation, such as a mistyped current password), or None."""
    entry = _valid(request, STEP_UP_KEY, at=at)
    return str(entry.get("nonce") or "") if entry else None


def take(request, *, at: datetime) -> str | None:
    """The confirmation's nonce, taken from the session (the service consumes it for good), or
    None when there is no valid one."""
    entry = _valid(request, STEP_UP_KEY, at=at)
    request.session.pop(STEP_UP_KEY, None)
    return str(entry.get("nonce") or "") if entry else None


def keep_app_secret(request, encrypted_secret: str, *, at: datetime) -> None:
    request.session[APP_KEY] = {
        "user": _user(request),
        "secret": encrypted_secret,
        "until": (at + APP_SETUP_LIFETIME).timestamp(),
    }


def app_secret(request, *, at: datetime) -> str | None:
    entry = _valid(request, APP_KEY, at=at)
    return entry.get("secret") if entry else None


def discard_app_secret(request) -> None:
    request.session.pop(APP_KEY, None)
