"""System checks: refuse to start with missing or unusable keys or a misplaced middleware."""

from django.conf import settings
from django.core.checks import Error, register

from . import crypto
from .conf import setting

MIDDLEWARE = "portal2fa.twofactor.middleware.TwoFactorMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register()
def keys_configured(app_configs, **kwargs):
    errors = []
    try:
        crypto.cipher(setting("PORTAL2FA_ENCRYPTION_KEYS"))
    except crypto.CryptoConfigError as exc:
        errors.append(
            Error(
                f"PORTAL2FA_ENCRYPTION_KEYS: {exc}.",
                id="portal2fa.E002",
                hint="A list of Fernet keys, newest first ('portal2fa keys new-encryption-key').",
            )
        )
    if len(setting("PORTAL2FA_HASH_KEY") or "") < 16:
        errors.append(
            Error(
                "PORTAL2FA_HASH_KEY is missing or shorter than 16 characters.", id="portal2fa.E003"
            )
        )
    return errors


@register()
def middleware_installed(app_configs, **kwargs):
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE in middleware and AUTH_MIDDLEWARE in middleware:
        if middleware.index(MIDDLEWARE) > middleware.index(AUTH_MIDDLEWARE):
            return []
    return [
        Error(
            f"{MIDDLEWARE} must be in MIDDLEWARE, after {AUTH_MIDDLEWARE}.",
            id="portal2fa.E005",
            hint="Without it a login elsewhere than Portal 2FA's own page skips the second factor.",
        )
    ]
