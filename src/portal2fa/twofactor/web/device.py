"""Device cookies (OWASP "Slow down online guessing attacks with device cookies").

A browser that completed a sign-in for an account (second factor passed, or not needed) gets a
signed cookie naming that account (a keyed hash of its canonical name, never the email) and a
random device id. While the cookie is valid for the account being signed in to, that browser's
wrong passwords count against its own budget (services/password.py), not the per-account budget
that strangers share: 10 wrong passwords from elsewhere do not keep the owner's browser out.
Signed with Django's signing (SECRET_KEY), HttpOnly, SameSite=Lax, Secure over HTTPS.
"""

import secrets

from django.core import signing

from ..conf import setting
from ..services.password import device_account

SALT = "portal2fa.device-cookie"
PENDING = "_portal2fa_device_user"  # request attribute: issue a cookie on the way out


def _max_age() -> int:
    return int(setting("PORTAL2FA_DEVICE_COOKIE_DAYS")) * 86400


def _read(request) -> dict | None:
    raw = request.COOKIES.get(setting("PORTAL2FA_DEVICE_COOKIE_NAME"))
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=SALT, max_age=_max_age())
    except (signing.BadSignature, ValueError):
        return None
    if not (isinstance(value, dict) and isinstance(value.get("a"), str)):
        return None
    if not (isinstance(value.get("d"), str) and 16 <= len(value["d"]) <= 64):
        return None
    return value


def trusted_device(request, identifier: str) -> str | None:
    """The device id when this browser's cookie names the account `identifier` signs in to."""
    value = _read(request)
    if value and value["a"] == device_account(identifier):
        return value["d"]
    return None


def remember(request, user) -> None:
    """This browser completed a sign-in for `user`: the response will carry the device cookie."""
    setattr(request, PENDING, user)


def attach(request, response) -> None:
    """Set the cookie a sign-in asked for (called by TwoFactorMiddleware on every response)."""
    user = getattr(request, PENDING, None)
    if user is None:
        return
    account = device_account(str(user.get_username()))
    value = _read(request)
    device = value["d"] if value and value["a"] == account else secrets.token_urlsafe(18)
    response.set_cookie(
        setting("PORTAL2FA_DEVICE_COOKIE_NAME"),
        signing.dumps({"a": account, "d": device}, salt=SALT),
        max_age=_max_age(),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
