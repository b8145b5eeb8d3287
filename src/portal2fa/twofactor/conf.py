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
    # How often (seconds, at most) a signed-in session re-reads its user's session generation to
    # notice that a security change (reset, password change, deactivation, unlock) ended it.
    # 0: on every request (one indexed query).
    "PORTAL2FA_SESSION_CHECK_SECONDS": 30,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
