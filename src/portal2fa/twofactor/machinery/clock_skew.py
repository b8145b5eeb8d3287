"""Clock-skew diagnosis for a refused authenticator code (read only: never accepts a code).

When a code is wrong but is the code of a time step outside the accepted window (up to ±10 minutes),
the user's phone clock is probably wrong. The caller refuses the code exactly as any other invalid
code (same attempt counting) and adds the hint to its message and the audit event.
"""

from datetime import datetime

from django.views.decorators.debug import sensitive_variables

from .. import messages
from ..core import totp
from ..models import Authenticator
from . import keys


@sensitive_variables("secret", "code")
def suspected_skew(
    authenticator: Authenticator, raw: str, *, at: datetime, window: int
) -> int | None:
    """Signed steps (positive: the phone is ahead) if `raw` is a TOTP code of a step within ±10
    minutes but outside ±window; None otherwise (including backup codes and junk)."""
    code = totp.normalise(raw)
    if not totp.looks_like_totp(code) or not authenticator.has_app:
        return None
    secret = keys.decrypt_secret(authenticator.encrypted_secret)
    return totp.clock_skew(secret, code, at=at, window=window)


def skew_hint(offset_steps: int) -> str:
    minutes = totp.skew_minutes(offset_steps)
    return messages.clock_skew(minutes, ahead=offset_steps > 0)
