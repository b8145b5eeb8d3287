"""A Temporary Access Pass just issued, kept for the administrator's session that issued it.

The pass is shown once: only its keyed hash is stored with the pass. So that a reload, a double
click or a lost response does not lose it, the issuing view keeps it here, Fernet-encrypted (the
TOTP secrets' keys), bound to the signed-in administrator and the user it is for, and redirects
(POST -> 303 -> GET) to the page that shows it. It stays until the administrator clicks Done or
the pass stops being the user's live one (used, revoked, replaced, expired); then it is destroyed.
"""

from django.contrib.auth import SESSION_KEY

from ..core.crypto import CryptoConfigError
from ..machinery import keys

PASSES_KEY = "portal2fa_new_access_passes"  # {user pk: {"by": admin, "pass": encrypted}}


def keep(request, user_pk, code: str) -> None:
    kept = dict(request.session.get(PASSES_KEY) or {})
    kept[str(user_pk)] = {
        "by": str(request.session.get(SESSION_KEY)),
        "pass": keys.encrypt_secret(code),
    }
    request.session[PASSES_KEY] = kept


def pending(request, user_pk, live) -> str | None:
    """The pass kept for `user_pk` when it is still their live pass (`live`, a row or None)."""
    entry = (request.session.get(PASSES_KEY) or {}).get(str(user_pk))
    if entry is None:
        return None
    try:
        mine = entry["by"] == str(request.session.get(SESSION_KEY))
        code = keys.decrypt_secret(entry["pass"]) if mine else None
    except (KeyError, TypeError, ValueError, CryptoConfigError):
        code = None
    if code and live is not None and live.digest == keys.access_pass_digest(user_pk, code):
        return code
    discard(request, user_pk)
    return None


def discard(request, user_pk) -> None:
    kept = dict(request.session.get(PASSES_KEY) or {})
    if kept.pop(str(user_pk), None) is not None:
        request.session[PASSES_KEY] = kept
