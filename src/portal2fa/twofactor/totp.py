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

from .typed import typed_code

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


def _codes_of(secret: str):
    """step -> code for one secret, decoded once: a refused code is compared with ~40 steps (the
    window and the clock-skew diagnosis), and pyotp decodes the base32 secret twice per step.
    RFC 4226 truncation, checked against tests/reference_totp.py by tests/unit/test_totp.py."""
    key = pyotp.OTP(secret).byte_secret()

    def code(step: int) -> str:
        digest = hmac.digest(key, step.to_bytes(8, "big"), "sha1")
        offset = digest[-1] & 0x0F
        value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
        return f"{value % 10**DIGITS:0{DIGITS}d}"

    return code


def normalise(raw: str) -> str:
    """What the user typed or pasted (typed.typed_code): "123 456", "123–456", "１２３４５６" and
    "123\u2212456" all become "123456". Anything else is left for looks_like_totp to refuse."""
    return typed_code(raw)


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
    code_at = _codes_of(secret)
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(code_at(step), code):
            matched = step
    return matched


MAX_SKEW_STEPS = 20  # ±10 minutes: how far clock_skew looks for a phone whose clock is wrong


def clock_skew(
    secret: str, code: str, *, at: datetime, window: int, limit: int = MAX_SKEW_STEPS
) -> int | None:
    """For a code that was REFUSED: the signed number of steps between `at` and the step whose code
    it is, looking only outside the accepted ±window and up to ±limit; None if no such step.

    Diagnosis only, never acceptance: a positive result means the phone's clock is ahead, negative
    behind. Every candidate is compared (no early exit); the nearest match wins.
    """
    if not looks_like_totp(code):
        return None
    current = time_step(at)
    nearest = None
    code_at = _codes_of(secret)
    for distance in range(limit, window, -1):  # farthest first, so the nearest overwrites
        for offset in (distance, -distance):
            if hmac.compare_digest(code_at(current + offset), code):
                nearest = offset
    return nearest


def skew_minutes(offset_steps: int) -> int:
    """The skew in whole minutes as people say it (half up, at least 1)."""
    seconds = abs(offset_steps) * STEP_SECONDS
    return max(1, (seconds + 30) // 60)


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
