"""The verify step leads with the user's strongest method; the others are one "Try another way"
list of server-rendered choices (?method=…), so it works without a script."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import SignInChallenge

from .helpers import is_signed_in, sign_in, text, wrong_code

pytestmark = pytest.mark.django_db

VERIFY = "twofactor:signin-verify"


def code_input(page: str) -> str:
    match = re.search(r'<input[^>]*name="code"[^>]*>', page)
    assert match, "no code field"
    return match.group(0)


def other_ways(page: str) -> list[str]:
    found = re.search(r'<details class="other-ways".*?</details>', page, re.S)
    assert found, "no Try another way list"
    return re.findall(r"<a [^>]*>([^<]+)</a>", found.group(0))


def test_an_app_user_is_asked_for_the_code_in_a_numeric_field(client, enrolled):
    sign_in(client, enrolled.user.email)
    page = text(client.get(reverse(VERIFY)))
    assert "Enter the 6-digit code from your authenticator app." in page
    field = code_input(page)
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field
    assert 'pattern="' in field and "autofocus" in field
    assert other_ways(page) == ["Use a backup code", "Use a Temporary Access Pass"]
    assert "Try another way" in page


def test_the_backup_code_has_its_own_text_field(client, enrolled):
    sign_in(client, enrolled.user.email)
    page = text(client.get(reverse(VERIFY) + "?method=backup"))
    assert "Enter one of your backup codes. Each works once." in page
    field = code_input(page)
    assert 'inputmode="text"' in field and "pattern=" not in field
    assert '<label for="id_code">Backup code</label>' in page
    assert other_ways(page) == ["Use your authenticator app", "Use a Temporary Access Pass"]
    response = client.post(reverse(VERIFY) + "?method=backup", {"code": enrolled.backup_codes[0]})
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)


def test_a_refused_backup_code_is_answered_on_the_backup_form(client, enrolled):
    sign_in(client, enrolled.user.email)
    response = client.post(reverse(VERIFY) + "?method=backup", {"code": "ABCDE-FGHJK"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = text(response)
    assert "Invalid code. 4 attempts remaining." in page
    assert '<label for="id_code">Backup code</label>' in page
    assert 'action="?method=backup"' in page
    assert SignInChallenge.objects.get(user=enrolled.user).failed_attempts == 1


def test_an_unknown_method_shows_the_strongest(client, enrolled):
    sign_in(client, enrolled.user.email)
    page = text(client.get(reverse(VERIFY) + "?method=passkey"))  # no passkey: not offered
    assert 'inputmode="numeric"' in code_input(page)
    page = text(client.get(reverse(VERIFY) + "?method=<script>"))
    assert 'inputmode="numeric"' in code_input(page) and "<script>" not in page.split("</h1>")[1]


def test_a_code_posted_without_a_method_still_counts_once(client, enrolled):
    """An older page or a script posting to the bare URL: answered on a code form."""
    sign_in(client, enrolled.user.email)
    response = client.post(reverse(VERIFY), {"code": wrong_code(enrolled.secret)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'inputmode="numeric"' in code_input(text(response))
    response = client.post(reverse(VERIFY), {"code": enrolled.code(timezone.now())})
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)


def test_email_and_sms_are_choices_of_the_same_list(client, enrolled, policy):
    type(policy).objects.filter(pk=1).update(email_codes_allowed=True)
    sign_in(client, enrolled.user.email)
    page = text(client.get(reverse(VERIFY)))
    assert "Email me a code" in other_ways(page)
    assert page.count("Try another way") == 1


def test_a_code_posted_to_the_passkey_choice_is_answered_on_a_code_form(client, enrolled):
    from portal2fa.twofactor.models import TwoFactorSettings, WebAuthnCredential

    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)
    WebAuthnCredential.objects.create(
        user=enrolled.user,
        name="Laptop",
        credential_id=b"\x05" * 32,
        public_key=b"unused",
        created_at=timezone.now(),
    )
    sign_in(client, enrolled.user.email)
    assert 'name="code"' not in text(client.get(reverse(VERIFY)))  # the key leads
    wrong = wrong_code(enrolled.secret)
    response = client.post(reverse(VERIFY) + "?method=passkey", {"code": wrong})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code." in text(response) and 'inputmode="numeric"' in code_input(text(response))
