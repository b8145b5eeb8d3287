"""The second-factor methods and who may use which.

TOTP (the Authenticator App) is always allowed. The optional methods are switched on or off on the
Settings tab (TwoFactorSettings) and, per Security Role, counted or not (the adapter's
role_methods). The rule for a user in several roles: a method counts only if EVERY role of theirs
that requires 2FA allows it (the strictest role wins); when none of their roles requires 2FA, every
role of theirs must allow it. A user in no role: the Settings tab alone decides.
"""

from collections.abc import Iterable
from typing import Any

from .text import gettext_noop

TOTP = "totp"
EMAIL = "email"
PASSKEY = "passkey"
SMS = "sms"
OPTIONAL = (EMAIL, PASSKEY, SMS)
LABELS = {
    TOTP: gettext_noop("Authenticator App"),
    EMAIL: gettext_noop("Email code"),
    PASSKEY: gettext_noop("Passkey / security key"),
    SMS: gettext_noop("SMS code"),
}


def site_methods(policy: Any) -> set[str]:  # the policy row: the core imports no models
    """The methods the Settings tab allows."""
    allowed = {TOTP}
    if policy.email_codes_allowed:
        allowed.add(EMAIL)
    if policy.passkeys_allowed:
        allowed.add(PASSKEY)
    if policy.sms_codes_allowed:
        allowed.add(SMS)
    return allowed


def combine(roles: list[tuple[bool, list[str] | tuple[str, ...]]]) -> set[str]:
    """The optional methods a user's roles allow: roles is [(requires_2fa, allowed methods)].
    The intersection over the roles requiring 2FA, else over all of them; no role: all."""
    relevant = [allowed for requires, allowed in roles if requires] or [a for _, a in roles]
    allowed = set(OPTIONAL)
    for methods in relevant:
        allowed &= set(methods)
    return allowed


def clean_methods(values: Iterable[str] | None) -> list[str]:
    """Only known optional method names, in a stable order."""
    wanted = set(values or ())
    return [name for name in OPTIONAL if name in wanted]
