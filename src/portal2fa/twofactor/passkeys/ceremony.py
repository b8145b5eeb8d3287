"""A WebAuthn ceremony's state between its two requests, kept in the browser's session.

The options request keeps the challenge (and what the ceremony is bound to, e.g. the sign-in's
token) under one key a ceremony; the answer request takes it back, once.
"""

from ..conf import setting
from .verification import RelyingParty

REGISTER_KEY = "portal2fa_passkey_register"  # {"challenge", "name", "until"}
SIGNIN_KEY = "portal2fa_passkey_signin"  # {"challenge", "token"}
ENROLL_KEY = "portal2fa_passkey_enroll"  # {"challenge", "name", "token", "until"}
ACCOUNT_ENROLL_KEY = "portal2fa_passkey_account_enroll"  # {"challenge", "name", "until"}
CONFIRM_KEY = "portal2fa_passkey_confirm"  # {"challenge", "until"}
MAX_RESPONSE = 64 * 1024
CEREMONY_SECONDS = 300


def relying_party(request) -> RelyingParty:
    host = request.get_host()  # validated against ALLOWED_HOSTS
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    rp_id = setting("PORTAL2FA_WEBAUTHN_RP_ID") or hostname
    origin = f"{request.scheme}://{host}"
    return RelyingParty(id=rp_id, name=setting("PORTAL2FA_SITE_NAME"), origin=origin)


# The ceremony's challenge travels in the session as base64url text. py_webauthn is imported by
# the first ceremony, not at start-up (passkeys/verification.py says why).
def bytes_to_base64url(value: bytes) -> str:
    from webauthn import helpers

    return helpers.bytes_to_base64url(value)


def base64url_to_bytes(value: str) -> bytes:
    from webauthn import helpers

    return helpers.base64url_to_bytes(value)


def read_body(request) -> str | None:
    if len(request.body) > MAX_RESPONSE:
        return None
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        return None
