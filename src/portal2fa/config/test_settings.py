"""Settings for the test suite: fixed throwaway keys so tests never need a key file."""

import os

os.environ.setdefault("PORTAL2FA_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("PORTAL2FA_ENCRYPTION_KEYS", "Z2l2ZS1tZS1hLXRlc3Qta2V5LW9mLTMyLWJ5dGVzISE=")
os.environ.setdefault("PORTAL2FA_HASH_KEY", "test-hash-key-not-for-production")
os.environ.setdefault("PORTAL2FA_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("PORTAL2FA_EVENTS_LOG_FILE", os.devnull)  # tests read them from caplog
os.environ.setdefault("PORTAL2FA_PSEUDO_LOCALE", "1")  # the translation QA tests render in it

from .settings import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The Overview's per-role adoption and trend counted on every load (tests change the data between
# loads); tests/admin/test_overview_kept.py turns the keeping on.
PORTAL2FA_DASHBOARD_SECONDS = 0
PORTAL2FA_BASE_URL = "http://testserver"
USE_I18N = True  # as in the demo (settings.py): the tests render what users see
