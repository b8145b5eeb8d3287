"""The second-factor methods and who may use which.

TOTP (the Authenticator App) is always allowed. The optional methods are switched on or off on the
Settings tab (TwoFactorSettings) and, per Security Role, counted or not (the adapter's
role_methods). The rule for a user in several roles: a method counts only if EVERY role of theirs
that requires 2FA allows it (the strictest role wins); when none of their roles requires 2FA, every
role of theirs must allow it. A user in no role: the Settings tab alone decides.
"""

from django.utils.translation import gettext_lazy

TOTP = "totp"
EMAIL = "email"
PASSKEY = "passkey"
SMS = "sms"
OPTIONAL = (EMAIL, PASSKEY, SMS)
LABELS = {
    TOTP: gettext_lazy("Authenticator App"),
    EMAIL: gettext_lazy("Email code"),
    PASSKEY: gettext_lazy("Passkey / security key"),
    SMS: gettext_lazy("SMS code"),
}


def site_methods(policy) -> set[str]:
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


def allowed_methods(user, policy) -> set[str]:
    """The methods this user may use now: the Settings tab's AND their roles'. Always TOTP."""
    from .adapter import get_adapter

    return {TOTP} | (site_methods(policy) & get_adapter().role_methods(user))


def clean_methods(values) -> list[str]:
    """Only known optional method names, in a stable order."""
    wanted = set(values or ())
    return [name for name in OPTIONAL if name in wanted]
