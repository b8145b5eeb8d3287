"""django-two-factor-auth on django-otp (TOTP and static backup tokens), its login wizard."""

from .base import *  # noqa: F403
from .base import database

CONTENDER = "two_factor"
DATABASES = database("two_factor")
INSTALLED_APPS = INSTALLED_APPS + [  # noqa: F405
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "formtools",
    "two_factor",
]
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
LOGIN_URL = "two_factor:login"
