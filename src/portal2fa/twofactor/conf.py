"""The library's deploy-time settings: Django settings named PORTAL2FA_*, each with its default.

Read through `setting(name)` at call time (never copied at import), so tests and hosts can change
them with override_settings. Every name is documented in the README's "Configuration".
The admin-editable policy (the Settings tab) is not here: it is one database row.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Keys outside the database: Fernet keys for TOTP secrets (newest first; older ones still
    # decrypt) and the HMAC key for backup codes, security tokens and throttle keys. Required.
    "PORTAL2FA_ENCRYPTION_KEYS": [],
    "PORTAL2FA_HASH_KEY": "",
    # Who the host is to the library: roles, users, administrators (see adapter.py).
    "PORTAL2FA_ADAPTER": "portal2fa.twofactor.adapter.DefaultAdapter",
    # Shown in pages, notices and (unless the Settings tab names one) authenticator apps.
    "PORTAL2FA_SITE_NAME": "Portal",
    # Passkeys / security keys (WebAuthn): the relying party id, a registrable domain suffix of
    # the sites' host names (e.g. "example.com"). None: the host name of each request (without
    # port). The relying party name shown by the browser is PORTAL2FA_SITE_NAME. Changing the id
    # makes every registered passkey unusable.
    "PORTAL2FA_WEBAUTHN_RP_ID": None,
    # The site's address as users reach it ("https://portal.example.com", no path): reminder
    # e-mails link to sign-in from it. "" (the default): reminders refuse to go.
    "PORTAL2FA_BASE_URL": "",
    # Where the "Setup" links of the 2FA pages lead: a URL name or path.
    "PORTAL2FA_SETUP_HOME": "twofactor:setup-settings",
    # A held session (logged in, second factor not passed) reaches only the 2FA pages and the ways
    # out: the host's login pages, which sign it out first (a new sign-in starts over), and its
    # logout views. Django's LoginView and LogoutView (and subclasses) are known by class; other
    # login and logout views by these URL names (the admin's, Django's, django-allauth's).
    "PORTAL2FA_LOGIN_VIEWS": ["login", "admin:login", "account_login"],
    "PORTAL2FA_LOGOUT_VIEWS": ["logout", "admin:logout", "account_logout"],
    # What a held page in the host's layout may load besides static files: URL names, dotted
    # view names (a class allows its subclasses) or path prefixes ("/media/icons/"). Never a view
    # that returns the user's data: the second factor has not passed. By default Django's
    # JavaScript catalogue, and the admin's (for a layout built on the admin's).
    "PORTAL2FA_HELD_PAGES_MAY_LOAD": ["django.views.i18n.JavaScriptCatalog", "admin:jsi18n"],
    # Reverse proxies in front of the app: 0 uses the socket's address; N takes the Nth
    # X-Forwarded-For entry from the right (entries further left are client-controlled).
    "PORTAL2FA_TRUSTED_PROXY_COUNT": 0,
    # Failure throttles, all kept in the database (every process sees them).
    "PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT": 10,
    "PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS": 50,
    # Password throttle for browsers holding a device cookie of the account (a browser that
    # completed a sign-in for it): their own budget per device and window, so failures from
    # strangers (who share the per-account budget) do not keep the owner out. Days the cookie lasts.
    "PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE": 10,
    "PORTAL2FA_DEVICE_COOKIE_DAYS": 365,
    "PORTAL2FA_DEVICE_COOKIE_NAME": "portal2fa_device",
    # Wrong codes per account across sign-ins (the per-token lockout is the policy's Maximum
    # Invalid Attempts). After CODE_FAILURES_BEFORE_DELAY consecutive failures each further try
    # waits CODE_DELAY_SECONDS, doubling with each failure up to CODE_DELAY_MAX_SECONDS; at
    # CODE_FAILURES_LOCK consecutive failures the second factor is locked until an administrator
    # unlocks it (or resets the enrollment). A correct code sets the count back to zero.
    # With the defaults an attacker gets about 33 evaluated codes in the first 24 hours, never more than 100.
    "PORTAL2FA_CODE_FAILURES_BEFORE_DELAY": 5,
    "PORTAL2FA_CODE_DELAY_SECONDS": 60,
    "PORTAL2FA_CODE_DELAY_MAX_SECONDS": 3600,
    "PORTAL2FA_CODE_FAILURES_LOCK": 100,
    # How often (seconds, at most) a signed-in session re-reads its user's session generation to
    # notice that a security change (reset, password change, deactivation, unlock) ended it.
    # 0 (default): on every request, so the change applies at once (one indexed query; see
    # bench/session_check.py). A site may trade that delay for the query.
    "PORTAL2FA_SESSION_CHECK_SECONDS": 0,
    # Rows per Overview counter (machinery/counters.py): more shards, less waiting between concurrent
    # changes; a read sums them. 8 suits a few hundred sign-ins a second.
    "PORTAL2FA_COUNTER_SHARDS": 8,
    # The Overview's adoption per Security Role and enrollment trend scan the users (about a second
    # at a million): counted at most once per this many seconds (per cache; Django's default cache
    # is per process), shown with the time they were counted. 0: counted on every load.
    "PORTAL2FA_DASHBOARD_SECONDS": 300,
    # Password hashing (hashers.Argon2PasswordHasher): OWASP's second recommended configuration,
    # m=19 MiB, t=2, p=1 (~20 MB and a few tens of ms per sign-in per worker).
    "PORTAL2FA_ARGON2": {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
    # Email codes at the verify step (when the Settings tab and the user's roles allow them):
    # sends per sign-in token (the first one included) and the least wait between two sends.
    "PORTAL2FA_EMAIL_CODE_SENDS": 3,
    "PORTAL2FA_EMAIL_CODE_RESEND_SECONDS": 30,
    "PORTAL2FA_EMAIL_CODE_MINUTES": 10,
    # Email and SMS code sends across sign-ins (machinery/send_limits.py): per account and per
    # destination (an address or a number several accounts may share), per hour and per day.
    # A user who asks for a code a few times in several sign-ins stays well within them.
    "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR": 6,
    "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_DAY": 12,
    "PORTAL2FA_CODE_SENDS_PER_DESTINATION_HOUR": 10,
    "PORTAL2FA_CODE_SENDS_PER_DESTINATION_DAY": 20,
    # SMS codes: the same flow and limits as email codes, delivered by this class (sms.py). The
    # shipped providers only print (console) or keep messages in memory (tests): a real one is
    # the host's (an SMS gateway's API) and is named here.
    "PORTAL2FA_SMS_PROVIDER": "portal2fa.twofactor.sms.ConsoleSmsProvider",
    # Temporary Access Pass: how long a pass an administrator issues stays usable unless they
    # choose otherwise (minutes, ACCESS_PASS_MINUTES_MIN to ACCESS_PASS_MINUTES_MAX).
    "PORTAL2FA_ACCESS_PASS_MINUTES": 60,
}

ACCESS_PASS_MINUTES_MIN, ACCESS_PASS_MINUTES_MAX = 10, 8 * 60


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
