"""Django settings, driven by environment variables (see README "Configuration")."""

import os
from typing import Any

import dj_database_url

from . import env

BASE_DIR = env.PACKAGE_DIR
DATA_DIR = env.DATA_DIR

DEBUG = env.get_bool("PORTAL2FA_DEBUG")
SECRET_KEY = env.get("PORTAL2FA_SECRET_KEY")
ALLOWED_HOSTS = env.get_list("PORTAL2FA_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env.get_list("PORTAL2FA_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "portal2fa.twofactor.views.errors.csrf_failure"  # "Start again", not Django's

# Keys outside the database: Fernet keys for TOTP secrets (newest first, older ones still decrypt)
# and the HMAC key for backup codes and security tokens.
PORTAL2FA_ENCRYPTION_KEYS = env.get_list("PORTAL2FA_ENCRYPTION_KEYS")
PORTAL2FA_HASH_KEY = env.get("PORTAL2FA_HASH_KEY")
# How many reverse proxies you run in front of the app. 0: use the socket's address. N: take the
# Nth address from the right of X-Forwarded-For (entries further left are client-controlled).
PORTAL2FA_TRUSTED_PROXY_COUNT = env.get_int("PORTAL2FA_TRUSTED_PROXY_COUNT", 0)
PORTAL2FA_SITE_NAME = env.get("PORTAL2FA_SITE_NAME", "Portal")
# The address users reach the portal at: reminder e-mails link to sign-in from it.
PORTAL2FA_BASE_URL = env.get(
    "PORTAL2FA_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
)
# The demo portal is a host of the 2FA library like any other: its adapter serves its own
# one-role-per-user SecurityRole, and the "Setup" links lead to its Setup home.
PORTAL2FA_ADAPTER = "portal2fa.accounts.adapter.PortalAdapter"
PORTAL2FA_SETUP_HOME = "accounts:setup"
PORTAL2FA_ARGON2 = {  # password hashing (twofactor/hashers.py); memory in KiB
    "time_cost": env.get_int("PORTAL2FA_ARGON2_TIME_COST", 2, minimum=1),
    "memory_cost": env.get_int("PORTAL2FA_ARGON2_MEMORY_KIB", 19456, minimum=8),
    "parallelism": env.get_int("PORTAL2FA_ARGON2_PARALLELISM", 1, minimum=1),
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "portal2fa.accounts",
    "portal2fa.twofactor",
    "portal2fa.audit",
    "portal2fa.api",  # the admin API, webhooks, /metrics and health checks (portal2fa[api])
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each request: the language cookie, else Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal2fa.twofactor.middleware.TwoFactorMiddleware",
    "portal2fa.api.middleware.VerifyTimingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal2fa.config.urls"
WSGI_APPLICATION = "portal2fa.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal2fa.sqlite3'}"),
        conn_max_age=env.get_int("PORTAL2FA_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (server + CLI) share one SQLite file: wait for locks instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "twofactor:signin"
LOGIN_REDIRECT_URL = "accounts:home"

# Argon2 with PORTAL2FA_ARGON2 (default m=19 MiB, t=2, p=1: OWASP); older hashes upgrade at sign-in.
PASSWORD_HASHERS = ["portal2fa.twofactor.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Database sessions whose key rotation (login, second factor passed) is one UPDATE.
SESSION_ENGINE = "portal2fa.twofactor.web.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.get_int("PORTAL2FA_SESSION_AGE_SECONDS", 8 * 3600, minimum=60)
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = env.get_bool("PORTAL2FA_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.get_bool("PORTAL2FA_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.get("PORTAL2FA_TIME_ZONE", "UTC")
USE_I18N = True
# The languages Portal 2FA ships catalogues for (src/portal2fa/<app>/locale/); a host's own
# LOCALE_PATHS come first, so a host overrides any text there.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
    ("ar", "العربية"),
]
# The pseudo-locale (accented, lengthened English) that shows untranslated text at a glance: for
# translation QA only, so offered only when PORTAL2FA_PSEUDO_LOCALE is on (the test settings).
if env.get_bool("PORTAL2FA_PSEUDO_LOCALE"):
    LANGUAGES.append(("en-xa", "Pseudo"))
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = None  # no collectstatic: WhiteNoise serves from the app folders
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step

EMAIL_BACKEND = env.get("PORTAL2FA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.get("PORTAL2FA_EMAIL_HOST", "localhost")
EMAIL_PORT = env.get_int("PORTAL2FA_EMAIL_PORT", 25)
EMAIL_HOST_USER = env.get("PORTAL2FA_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get("PORTAL2FA_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get_bool("PORTAL2FA_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env.get("PORTAL2FA_EMAIL_FROM", "portal2fa@localhost")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_4xx": {"()": "portal2fa.twofactor.logs.ClientErrorsOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_4xx"]}},
    "root": {"handlers": ["console"], "level": env.get("PORTAL2FA_LOG_LEVEL", "INFO")},
}

# Throttles (failures in a sliding window), all kept in the database.
PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = env.get_int(
    "PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT", 10, minimum=1
)
PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS = env.get_int(
    "PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS", 50, minimum=1
)
PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE = env.get_int(
    "PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE", 10, minimum=1
)
# Wrong codes per account across sign-ins: delays after a few in a row, a lock at the limit.
PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = env.get_int(
    "PORTAL2FA_CODE_FAILURES_BEFORE_DELAY", 5, minimum=1
)
PORTAL2FA_CODE_DELAY_SECONDS = env.get_int("PORTAL2FA_CODE_DELAY_SECONDS", 60, minimum=1)
PORTAL2FA_CODE_DELAY_MAX_SECONDS = env.get_int("PORTAL2FA_CODE_DELAY_MAX_SECONDS", 3600, minimum=1)
PORTAL2FA_CODE_FAILURES_LOCK = env.get_int("PORTAL2FA_CODE_FAILURES_LOCK", 100, minimum=1)

# The admin API, webhooks and /metrics (portal2fa.api; README "Admin API, webhooks and metrics").
PORTAL2FA_API_CALLS_PER_MINUTE = env.get_int("PORTAL2FA_API_CALLS_PER_MINUTE", 600, minimum=1)
PORTAL2FA_WEBHOOK_MAX_ATTEMPTS = env.get_int("PORTAL2FA_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
PORTAL2FA_WEBHOOK_RETRY_SECONDS = env.get_int("PORTAL2FA_WEBHOOK_RETRY_SECONDS", 30, minimum=0)
PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = env.get_bool("PORTAL2FA_WEBHOOK_ALLOW_PRIVATE")
PORTAL2FA_METRICS_ALLOWED_ADDRESSES = env.get_list("PORTAL2FA_METRICS_ALLOWED_ADDRESSES")
# Security events as JSON lines, for a SIEM to collect: a file of their own (default
# var/events.jsonl beside the SQLite database; "-" for standard error with the other logs).
_events_file = env.get("PORTAL2FA_EVENTS_LOG_FILE", str(DATA_DIR / "events.jsonl"))
LOGGING["formatters"] = {"message": {"format": "%(message)s"}}
_events_handler: dict[str, object] = (
    {"class": "logging.StreamHandler", "formatter": "message"}
    if _events_file == "-"
    else {
        "class": "logging.FileHandler",
        "filename": _events_file,
        "formatter": "message",
        "delay": True,  # opened at the first event: a command that records none creates no file
    }
)
LOGGING["handlers"]["events"] = _events_handler
LOGGING["loggers"] = {
    "portal2fa.events": {"handlers": ["events"], "level": "INFO", "propagate": False}
}
