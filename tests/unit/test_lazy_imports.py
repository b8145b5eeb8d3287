"""Nothing heavy is imported until a request needs it: a worker that only signs people in never
loads the QR encoder or the WebAuthn stack (CBOR, ASN.1, X.509, pyOpenSSL); bench/peers/ measures
the worker's memory. Checked in a fresh interpreter (this one has imported everything)."""

import subprocess
import sys

import pytest

# What a sign-in worker loads: the settings' apps, the URLconf with every view, the middleware,
# and the sign-in views.
PROBE = """
import sys
import django
django.setup()
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver
get_resolver().url_patterns
WSGIHandler()
import portal2fa.twofactor.views.signin
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.fixture(scope="module")
def loaded_at_start() -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "portal2fa.config.test_settings", "PATH": ""},
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("package", ["segno", "webauthn", "cbor2", "OpenSSL", "pyasn1"])
def test_not_imported_at_start_up(loaded_at_start, package):
    assert "django" in loaded_at_start  # the probe ran
    assert package not in loaded_at_start
