"""RFC 6238 TOTP, pure: no Django, no global clock. Callers pass the time in.

pyotp computes the codes; we add what it lacks: the matched time step (so the caller can store it
for replay protection) and a constant-time comparison over the whole acceptance window.
"""

import base64
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

import pyotp

DIGITS = 6
STEP_SECONDS = 30
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends


def new_secret() -> str:
    """A fresh random base32 secret (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int, digits: int = DIGITS) -> str:
    return pyotp.HOTP(secret, digits=digits).at(step)


def looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, *, at: datetime, window: int) -> int | None:
    """The newest time step within ±window of `at` whose code equals `code`, else None.

    Every candidate is compared (no early exit) so timing does not reveal which step matched.
    """
    if not looks_like_totp(code):
        return None
    current = time_step(at)
    matched = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(code_at_step(secret, step), code):
            matched = step
    return matched


def verify(
    secret: str, code: str, *, at: datetime, last_step: int | None, window: int
) -> int | None:
    """The matched step if `code` is valid at `at` and newer than `last_step` (replay guard)."""
    step = matching_step(secret, code, at=at, window=window)
    if step is None or (last_step is not None and step <= last_step):
        return None
    return step


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """otpauth:// URI understood by Google/Microsoft Authenticator, Authy, 1Password..."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def group_secret(secret: str, size: int = 4) -> str:
    """The secret in groups of four for manual entry: 'ABCD EFGH ...'."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))
