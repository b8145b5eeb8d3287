"""Argon2 sized for a server: its parameters come from the PORTAL2FA_ARGON2 setting.

Django's own Argon2PasswordHasher uses m=100 MiB, p=8: ~100 MB and 8 threads per sign-in, so a
worker serving 8 sign-ins at once peaks near a gigabyte. The default here is OWASP's second
recommended configuration (m=19 MiB, t=2, p=1). The algorithm name stays "argon2", so existing
hashes keep verifying; Django's must_update() sees their other parameters and re-hashes the
password at the user's next successful sign-in.

Use it in PASSWORD_HASHERS (first entry):
    PASSWORD_HASHERS = ["portal2fa.twofactor.hashers.Argon2PasswordHasher"]
"""

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher
from django.core.exceptions import ImproperlyConfigured

from .conf import DEFAULTS, setting


def _parameter(name: str) -> int:
    value = {**DEFAULTS["PORTAL2FA_ARGON2"], **setting("PORTAL2FA_ARGON2")}[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ImproperlyConfigured(f"PORTAL2FA_ARGON2[{name!r}] must be a positive integer")
    return value


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    """Django's Argon2id hasher with time_cost, memory_cost (KiB) and parallelism from settings."""

    # Django reads these three as attributes; a property answers the same read, from settings.
    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return _parameter("time_cost")

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return _parameter("memory_cost")

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return _parameter("parallelism")
