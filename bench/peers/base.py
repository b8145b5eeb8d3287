"""Settings every contender shares: a stock Django project (startproject's apps and middleware),
the same PostgreSQL server (a database per contender), the same password hasher, DEBUG off.

Environment (set by bench/peers/run.py):
  PEERS_DATABASE_URL  postgresql://... of the server; the database name is the contender's
  PEERS_DATABASE_PREFIX  the databases' names start with it ("peers_bench_" unless set), so two
                      runs on one server can keep apart
  PEERS_HASHER        "fast" (Django's MD5 hasher, so the second factor's cost shows) or "argon2"
                      (Django's Argon2PasswordHasher with its defaults)
"""

import os

import dj_database_url

CONTENDER = "?"  # each settings module names itself
SECRET_KEY = "bench-only-not-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "bench.peers.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "/"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "bench.peers.statements.CountStatements",  # outermost: the session's save is counted too
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

PASSWORD_HASHERS = [
    {
        "fast": "django.contrib.auth.hashers.MD5PasswordHasher",
        "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    }[os.environ.get("PEERS_HASHER", "fast")]
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django.request": {"level": "ERROR"}},  # no line per refused wrong code
}


def database(name: str) -> dict:
    url = os.environ.get("PEERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    config = dj_database_url.parse(url)
    config["NAME"] = os.environ.get("PEERS_DATABASE_PREFIX", "peers_bench_") + name
    return {"default": config}
