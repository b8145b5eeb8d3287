"""The demo's own start-up checks: its environment-driven configuration (config/env.py)."""

from django.conf import settings
from django.core.checks import Error, register

from ..config import env


@register()
def environment_valid(app_configs, **kwargs):
    errors = []
    if not settings.SECRET_KEY:
        errors.append(
            Error(
                "PORTAL2FA_SECRET_KEY is not set.",
                id="portal2fa.E001",
                hint="Run 'portal2fa keys init' or set it in the environment.",
            )
        )
    for name, problem in env.INVALID.items():
        errors.append(Error(f"{name} {problem}.", id="portal2fa.E004"))
    return errors
