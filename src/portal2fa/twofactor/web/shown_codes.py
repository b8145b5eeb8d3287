"""A new set of backup codes, kept for the browser session that received it until it is saved.

After an enrollment or a regeneration the view stores the new set here and redirects (POST → 303
→ GET) to the codes page, so a double submit, a reload, the back button or a lost response all
lead to the same codes. The set is kept Fernet-encrypted (the TOTP secrets' keys) in the session
store, bound to the signed-in user, until the user confirms "I have saved my codes" or
CODES_LIFETIME passes; then it is destroyed. It is never stored in clear.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import SESSION_KEY

from ..core.crypto import CryptoConfigError
from ..machinery import keys

CODES_KEY = "portal2fa_new_codes"
CODES_LIFETIME = timedelta(minutes=15)

ENROLLED = "enrolled"
REGENERATED = "regenerated"


@dataclass(frozen=True)
class ShownCodes:
    codes: tuple[str, ...]
    kind: str  # ENROLLED or REGENERATED
    continue_url: str


def keep(request, codes, *, kind: str, continue_url: str, at: datetime) -> None:
    request.session[CODES_KEY] = {
        "user": str(request.session.get(SESSION_KEY)),
        "codes": keys.encrypt_secret(json.dumps(list(codes))),
        "kind": kind,
        "continue": continue_url,
        "until": (at + CODES_LIFETIME).timestamp(),
    }


def show(request, codes, *, kind: str, continue_url: str, at: datetime):
    """Keep the new set and send the browser to it: POST -> 303 -> GET of the codes page."""
    from django.urls import reverse

    from .http import see_other

    keep(request, codes, kind=kind, continue_url=continue_url, at=at)
    return see_other(reverse("twofactor:account-codes"))


def pending(request, *, at: datetime) -> ShownCodes | None:
    """The set waiting to be saved in this session, or None (an expired set is destroyed here)."""
    entry = request.session.get(CODES_KEY)
    if entry is None:
        return None
    try:
        valid = entry["user"] == str(request.session.get(SESSION_KEY)) and at.timestamp() < float(
            entry["until"]
        )
        codes = tuple(json.loads(keys.decrypt_secret(entry["codes"]))) if valid else None
    except (KeyError, TypeError, ValueError, CryptoConfigError):
        codes = None
    if not codes:
        discard(request)
        return None
    return ShownCodes(codes=codes, kind=entry.get("kind", ENROLLED), continue_url=entry["continue"])


def leave_stored_session(request) -> None:
    """For a request refused because a parallel one of the same session got there first (a replay,
    a retried request): do not save this request's copy of the session, read before the other
    saved its new codes there; saving it after would erase them."""
    request.session.modified = False


def discard(request) -> None:
    request.session.pop(CODES_KEY, None)
