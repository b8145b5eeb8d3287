"""The library's deploy-time settings: Django settings named PORTAL2FA_*, each with its default.

Read through `setting(name)` at call time (never copied at import), so tests and hosts can change
them with override_settings. Every name is documented in the README's "Configuration".
The admin-editable policy (the Settings tab) is not here: it is one database row.
"""

from django.conf import settings

DEFAULTS = {
    # Keys outside the database: Fernet keys for TOTP secrets (newest first; older ones still
    # decrypt) and the HMAC key for backup codes, security tokens and throttle keys. Required.
    "PORTAL2FA_ENCRYPTION_KEYS": [],
    "PORTAL2FA_HASH_KEY": "",
    # Who the host is to the library: roles, users, administrators (see adapter.py).
    "PORTAL2FA_ADAPTER": "portal2fa.twofactor.adapter.DefaultAdapter",
    # Shown in pages, notices and (unless the Settings tab names one) authenticator apps.
    "PORTAL2FA_SITE_NAME": "Portal",
    # Where the "Setup" links of the 2FA pages lead: a URL name or path.
    "PORTAL2FA_SETUP_HOME": "twofactor:setup-settings",
    # Reverse proxies in front of the app: 0 uses the socket's address; N takes the Nth
    # X-Forwarded-For entry from the right (entries further left are client-controlled).
    "PORTAL2FA_TRUSTED_PROXY_COUNT": 0,
    # Failure throttles, all kept in the database (every process sees them).
    "PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT": 10,
    "PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS": 50,
    "PORTAL2FA_CODE_FAILURES_PER_ACCOUNT": 20,
    # Rows per Overview counter (counters.py): more shards, less waiting between concurrent
    # changes; a read sums them. 8 suits a few hundred sign-ins a second.
    "PORTAL2FA_COUNTER_SHARDS": 8,
    # Password hashing (hashers.Argon2PasswordHasher): OWASP's second recommended configuration,
    # m=19 MiB, t=2, p=1 (~20 MB and a few tens of ms per sign-in per worker).
    "PORTAL2FA_ARGON2": {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
