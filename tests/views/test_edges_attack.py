"""Edges: the Settings form's number limits are the server's; a passkey JSON endpoint answers an
oversized body in JSON."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from portal2fa.twofactor.forms import number_limits
from portal2fa.twofactor.models import TwoFactorSettings, WebAuthnCredential
from tests.admin.test_settings_tab import form_data, snapshot

from .helpers import sign_in

SETTINGS = reverse("twofactor:setup-settings")
LIMITS = {  # what the server accepts, as the README's Settings table documents it
    "max_invalid_attempts": (1, 10),
    "clock_skew_steps": (0, 5),
    "backup_codes_per_set": (5, 20),
    "low_codes_threshold": (1, 19),
    "trust_days": (1, 90),
}


def test_the_settings_form_offers_exactly_the_limits_the_server_accepts(admin_client, policy):
    assert number_limits() == LIMITS
    page = admin_client.get(SETTINGS).content.decode()
    for name, (low, high) in LIMITS.items():
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert f'min="{low}"' in tag and f'max="{high}"' in tag, tag


@pytest.mark.parametrize("name", list(LIMITS))
def test_one_past_each_limit_is_refused_and_each_limit_is_accepted(admin_client, policy, name):
    low, high = LIMITS[name]
    extra = {"backup_codes_per_set": "20"} if name == "low_codes_threshold" else {}
    for refused in (low - 1, high + 1):
        before = snapshot()
        response = admin_client.post(SETTINGS, form_data(**{name: str(refused)}, **extra))
        assert response.status_code == HTTPStatus.BAD_REQUEST, (name, refused)
        assert snapshot() == before
    for accepted in (low, high):
        if name == "backup_codes_per_set" and accepted <= policy.low_codes_threshold:
            continue
        response = admin_client.post(SETTINGS, form_data(**{name: str(accepted)}, **extra))
        assert response.status_code == HTTPStatus.FOUND, (name, accepted, response.content[:2000])
        assert getattr(TwoFactorSettings.objects.get(pk=1), name) == accepted


OVERSIZED = 3 * 1024 * 1024  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)


@pytest.fixture
def passkeys_on(policy):
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)


@pytest.mark.parametrize(
    "url",
    [
        "twofactor:account-passkey-add",
        "twofactor:account-confirm",
        "twofactor:account-enroll-passkey",
    ],
)
def test_an_oversized_answer_on_the_personal_page_is_a_json_413(client, enrolled, passkeys_on, url):
    client.force_login(enrolled.user)
    response = client.post(reverse(url), "x" * OVERSIZED, content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["error"]


@pytest.mark.parametrize("url", ["twofactor:signin-passkey", "twofactor:signin-enroll-passkey"])
def test_an_oversized_answer_at_sign_in_is_a_json_413_and_counts_nothing(
    client, enrolled, passkeys_on, url
):
    sign_in(client, enrolled.user.email)
    response = client.post(reverse(url), "x" * OVERSIZED, content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in response.json()["error"]
    from portal2fa.twofactor.models import SignInChallenge

    assert SignInChallenge.objects.get().failed_attempts == 0
    assert not WebAuthnCredential.objects.exists()
