"""System checks: refuse to start with missing or unusable keys (run by the CLI and the server)."""

from django.conf import settings
from django.core.checks import Error, register

from . import crypto


@register()
def keys_configured(app_configs, **kwargs):
    errors = []
    if not settings.SECRET_KEY:
        errors.append(
            Error(
                "PORTAL2FA_SECRET_KEY is not set.",
                id="portal2fa.E001",
                hint="Run 'portal2fa keys init' or set it in the environment.",
            )
        )
    try:
        crypto.cipher(settings.PORTAL2FA_ENCRYPTION_KEYS)
    except crypto.CryptoConfigError as exc:
        errors.append(
            Error(
                f"PORTAL2FA_ENCRYPTION_KEYS: {exc}.",
                id="portal2fa.E002",
                hint="Comma-separated Fernet keys, newest first ('portal2fa keys new-encryption-key').",
            )
        )
    if len(settings.PORTAL2FA_HASH_KEY or "") < 16:
        errors.append(
            Error(
                "PORTAL2FA_HASH_KEY is missing or shorter than 16 characters.", id="portal2fa.E003"
            )
        )
    from ..config import env

    for name, problem in env.INVALID.items():
        errors.append(Error(f"{name} {problem}.", id="portal2fa.E004"))
    return errors
