"""System checks: refuse to start with missing or unusable keys, or a setting that would fail at
the first request that reads it. How the host wired the library in: integration.py."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch
from django.utils.module_loading import import_string

from . import integration  # integration registers the URL checks
from .conf import ACCESS_PASS_MINUTES_MAX, ACCESS_PASS_MINUTES_MIN, setting
from .core import crypto

GENERATE_KEYS = (
    "'python manage.py portal2fa keys generate' prints new keys as lines for the environment "
    "(keep them in your secret store)."
)


@register()
def keys_configured(app_configs, **kwargs):
    errors = []
    keys = setting("PORTAL2FA_ENCRYPTION_KEYS")
    try:
        if not any(keys or []):  # the snippet's os.environ.get(...) of an unset variable
            raise crypto.CryptoConfigError("not set (is it in the environment?)")
        crypto.cipher(keys)
    except crypto.CryptoConfigError as exc:
        errors.append(
            Error(
                f"PORTAL2FA_ENCRYPTION_KEYS: {exc}.",
                id="portal2fa.E002",
                hint="A list of Fernet keys, newest first. " + GENERATE_KEYS,
            )
        )
    if len(setting("PORTAL2FA_HASH_KEY") or "") < 16:
        errors.append(
            Error(
                "PORTAL2FA_HASH_KEY is missing or shorter than 16 characters.",
                id="portal2fa.E003",
                hint=GENERATE_KEYS,
            )
        )
    return errors


POSITIVE_SETTINGS = (
    "PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT",
    "PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS",
    "PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE",
    "PORTAL2FA_DEVICE_COOKIE_DAYS",
    "PORTAL2FA_CODE_FAILURES_BEFORE_DELAY",
    "PORTAL2FA_CODE_DELAY_SECONDS",
    "PORTAL2FA_CODE_DELAY_MAX_SECONDS",
    "PORTAL2FA_CODE_FAILURES_LOCK",
    "PORTAL2FA_COUNTER_SHARDS",
    "PORTAL2FA_EMAIL_CODE_SENDS",
    "PORTAL2FA_EMAIL_CODE_MINUTES",
    "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR",
    "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_DAY",
    "PORTAL2FA_CODE_SENDS_PER_DESTINATION_HOUR",
    "PORTAL2FA_CODE_SENDS_PER_DESTINATION_DAY",
)
NON_NEGATIVE_SETTINGS = (
    "PORTAL2FA_SESSION_CHECK_SECONDS",
    "PORTAL2FA_EMAIL_CODE_RESEND_SECONDS",
    "PORTAL2FA_TRUSTED_PROXY_COUNT",
    "PORTAL2FA_DASHBOARD_SECONDS",
)
CLASS_SETTINGS = ("PORTAL2FA_ADAPTER", "PORTAL2FA_SMS_PROVIDER")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register()
def throttles_configured(app_configs, **kwargs):
    """The throttles and the code budget need whole numbers of at least 1: a 0 or a string would
    disable a guarantee (or fail at the first sign-in)."""
    errors = []
    for name in POSITIVE_SETTINGS:
        value = setting(name)
        if not _whole(value) or value < 1:
            errors.append(
                Error(
                    f"{name} must be a whole number of at least 1, got {value!r}.",
                    id="portal2fa.E006",
                )
            )
    for name in NON_NEGATIVE_SETTINGS:
        value = setting(name)
        if not _whole(value) or value < 0:
            errors.append(
                Error(
                    f"{name} must be a whole number, 0 or more, got {value!r}.", id="portal2fa.E010"
                )
            )
    if not errors and setting("PORTAL2FA_CODE_DELAY_MAX_SECONDS") < setting(
        "PORTAL2FA_CODE_DELAY_SECONDS"
    ):
        errors.append(
            Error(
                "PORTAL2FA_CODE_DELAY_MAX_SECONDS must not be lower than PORTAL2FA_CODE_DELAY_SECONDS.",
                id="portal2fa.E007",
            )
        )
    return errors


@register()
def names_resolve(app_configs, **kwargs):
    """The classes and the URL the settings name exist (else every page using them is a 500)."""
    errors = []
    for name in CLASS_SETTINGS:
        try:
            import_string(setting(name))
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            errors.append(
                Error(f"{name}: cannot import {setting(name)!r} ({exc}).", id="portal2fa.E008")
            )
    try:
        resolve_url(setting("PORTAL2FA_SETUP_HOME"))
    except NoReverseMatch:
        home = str(setting("PORTAL2FA_SETUP_HOME"))
        if home.startswith("twofactor:") and not integration.included():
            return errors  # the missing include's own error (portal2fa.E011) names the fix
        errors.append(
            Error(
                f"PORTAL2FA_SETUP_HOME: {setting('PORTAL2FA_SETUP_HOME')!r} is neither a URL name "
                "nor a path.",
                id="portal2fa.E009",
            )
        )
    return errors


NAME_LIST_SETTINGS = (
    "PORTAL2FA_LOGIN_VIEWS",
    "PORTAL2FA_LOGOUT_VIEWS",
    "PORTAL2FA_HELD_PAGES_MAY_LOAD",
)


@register()
def held_views_named(app_configs, **kwargs):
    """What a held session may reach is a list of names or path prefixes: a bare string would be
    read letter by letter, and the prefix "/" would let a held session reach every page."""
    errors = []
    for name in NAME_LIST_SETTINGS:
        value = setting(name)
        entries = value if isinstance(value, list | tuple) else None
        if entries is None or not all(isinstance(e, str) and e.strip("/") for e in entries):
            errors.append(
                Error(
                    f"{name} must be a list of URL names, dotted view names or path prefixes "
                    f"longer than '/', got {value!r}.",
                    id="portal2fa.E014",
                )
            )
    return errors


@register()
def sessions_saved_when_changed(app_configs, **kwargs):
    """A request that loses to its parallel twin (a double click, a replay) leaves its session as
    stored; a session saved on every request would write its stale copy over the twin's."""
    if not getattr(settings, "SESSION_SAVE_EVERY_REQUEST", False):
        return []
    return [
        Warning(
            "SESSION_SAVE_EVERY_REQUEST is True: a second click at the second factor or at new "
            "backup codes can save a stale session over the first click's (signed out again, new "
            "codes no longer shown).",
            hint="Leave it False (Django's default).",
            id="portal2fa.W001",
        )
    ]


@register()
def access_pass_lifetime(app_configs, **kwargs):
    """A pass usable for days would be a password of its own: the lifetime stays within bounds."""
    value = setting("PORTAL2FA_ACCESS_PASS_MINUTES")
    low, high = ACCESS_PASS_MINUTES_MIN, ACCESS_PASS_MINUTES_MAX
    if _whole(value) and low <= value <= high:
        return []
    return [
        Error(
            f"PORTAL2FA_ACCESS_PASS_MINUTES must be a whole number from {low} to {high}, "
            f"got {value!r}.",
            id="portal2fa.E040",
        )
    ]


@register()
def base_url_usable(app_configs, **kwargs):
    """PORTAL2FA_BASE_URL, when set, is what a link in an e-mail can start with."""
    from urllib.parse import urlsplit

    base = setting("PORTAL2FA_BASE_URL") or ""
    if not base:
        return []
    parts = urlsplit(base)
    if parts.scheme in ("http", "https") and parts.hostname and not (parts.query or parts.fragment):
        return []
    return [
        Error(
            f"PORTAL2FA_BASE_URL {base!r} is not an http(s) address.",
            id="portal2fa.E021",
            hint="The site's address as users reach it, e.g. 'https://portal.example.com'.",
        )
    ]
