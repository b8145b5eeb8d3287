"""Portal 2FA as the README's snippet adds it to a stock project, its own sign-in page, and the
session engine the README recommends."""

from .base import *  # noqa: F403
from .base import database

CONTENDER = "portal"
DATABASES = database("portal")
INSTALLED_APPS = INSTALLED_APPS + ["portal2fa.twofactor", "portal2fa.audit"]  # noqa: F405
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "portal2fa.twofactor.middleware.TwoFactorMiddleware",
)
SESSION_ENGINE = "portal2fa.twofactor.web.sessions"
PORTAL2FA_ENCRYPTION_KEYS = ["Z2l2ZS1tZS1hLXRlc3Qta2V5LW9mLTMyLWJ5dGVzISE="]  # bench only
PORTAL2FA_HASH_KEY = "bench-hash-key-not-for-production"
