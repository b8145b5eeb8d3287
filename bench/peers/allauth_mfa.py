"""django-allauth's account and mfa apps with their defaults (authenticator app and recovery
codes), username login. One change: allauth's per-address limits are off ("login": 30/m/ip on
every login, and the 10/m/ip of "login_failed", which every code POST consumes), because every
bench client comes from 127.0.0.1; its per-account limit (5 per 5 minutes) stays."""

from .base import *  # noqa: F403
from .base import database

CONTENDER = "allauth"
DATABASES = database("allauth")
INSTALLED_APPS = INSTALLED_APPS + ["allauth", "allauth.account", "allauth.mfa"]  # noqa: F405
MIDDLEWARE = MIDDLEWARE + ["allauth.account.middleware.AccountMiddleware"]  # noqa: F405
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": "5/300s/key"}
