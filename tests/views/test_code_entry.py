"""Code entry as people do it: phone keyboards, pasted codes with any dash, a phone clock that is off."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent

from .helpers import is_signed_in, sign_in, text, wrong_code

VERIFY = "twofactor:signin-verify"


def input_tag(response, name: str = "code") -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    assert match, f"no input named {name}"
    return match.group(0)


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014", "\u2212", " ", "\u00a0", "\u2009"])
def test_totp_code_with_any_dash_or_space_signs_in(client, enrolled, dash):
    sign_in(client, enrolled.user.email)
    code = enrolled.code(timezone.now())
    response = client.post(reverse(VERIFY), {"code": f"{code[:3]}{dash}{code[3:]}"})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2212", "\u2010"])
def test_backup_code_with_any_dash_signs_in(client, enrolled, dash):
    code = enrolled.backup_codes[0]
    sign_in(client, enrolled.user.email)
    response = client.post(reverse(VERIFY), {"code": f"{code[:5]}{dash}{code[5:]}".lower()})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_enrollment_code_field_opens_the_number_pad_and_offers_one_time_codes(client, user, policy):
    policy.enabled = True
    policy.save()
    user.role.requires_2fa = True
    user.role.save()
    sign_in(client, user.email)
    response = client.get(reverse("twofactor:signin-enroll"))
    assert response.status_code == HTTPStatus.OK
    tag = input_tag(response)
    assert 'inputmode="numeric"' in tag and 'autocomplete="one-time-code"' in tag
    assert "pattern=" not in tag  # a pasted "123–456" must reach the server, which cleans it


def test_verify_field_offers_one_time_codes(client, enrolled):
    sign_in(client, enrolled.user.email)
    tag = input_tag(client.get(reverse(VERIFY)))
    # TOTP or a backup code (letters): a text keyboard, but the one-time-code autofill
    assert 'autocomplete="one-time-code"' in tag


def test_a_skewed_phone_clock_is_named_on_the_verify_page(client, enrolled):
    sign_in(client, enrolled.user.email)
    ahead = enrolled.code(timezone.now() + timedelta(minutes=4))
    response = client.post(reverse(VERIFY), {"code": ahead})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "Invalid code. 4 attempts remaining. Your phone's clock seems to be about 4 minutes ahead"
        " — turn on automatic date and time."
    ) in text(response)
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED)
    assert event.detail["clock_skew_steps"] == 8  # 240 s is exactly 8 steps


FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHJKMNPQRSTVWXYZ-",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺ－",
)


def test_a_full_width_authenticator_code_signs_in(client, enrolled):
    """As a Japanese or Chinese input method types it: "１２３ ４５６"."""
    sign_in(client, enrolled.user.email)
    code = enrolled.code(timezone.now())
    typed = f"{code[:3]}\u3000{code[3:]}".translate(FULL_WIDTH)
    response = client.post(reverse(VERIFY), {"code": typed})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_a_full_width_backup_code_signs_in(client, enrolled):
    sign_in(client, enrolled.user.email)
    typed = f"{enrolled.backup_codes[0][:5]}-{enrolled.backup_codes[0][5:]}".translate(FULL_WIDTH)
    response = client.post(reverse(VERIFY), {"code": typed})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_a_wrong_full_width_code_is_one_guess(client, enrolled):
    """Reading more spellings widens nothing: a wrong code typed full-width counts once, on the
    token and on the account's budget, as the same code in ASCII does."""
    from portal2fa.twofactor.models import CodeGuessBudget, SignInChallenge

    sign_in(client, enrolled.user.email)
    wrong = wrong_code(enrolled.secret)
    response = client.post(
        reverse(VERIFY), {"code": f"{wrong[:3]}\u00a0{wrong[3:]}".translate(FULL_WIDTH)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code. 4 attempts remaining." in text(response)
    assert SignInChallenge.objects.get(user=enrolled.user).failed_attempts == 1
    assert CodeGuessBudget.objects.get(user=enrolled.user).consecutive_failures == 1
    assert not is_signed_in(client)
