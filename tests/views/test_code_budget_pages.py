"""The account's code budget on the pages: the sign-in page says when the next try is possible,
the lock says who can help, and the personal page's code forms meet the same account budget."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import CodeGuessBudget

from .helpers import current_code, is_signed_in, sign_in, text, wrong_code

VERIFY = "twofactor:signin-verify"
WAIT = re.compile(r"Try again after \d\d:\d\d UTC \(in \d+ minutes?\)\.")


def test_the_sign_in_page_says_when_to_try_again(client, enrolled):
    verify = reverse(VERIFY)
    for _ in range(5):  # five sign-ins, one wrong code each
        sign_in(client, enrolled.user.email)
        response = client.post(verify, {"code": wrong_code(enrolled.secret)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert WAIT.search(text(response))
    sign_in(client, enrolled.user.email)
    response = client.post(verify, {"code": current_code(enrolled.secret)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert WAIT.search(text(response)) and 'name="code"' in text(response)  # the form stays
    assert not is_signed_in(client)


def test_the_locked_page_sends_the_user_to_an_administrator(client, enrolled):
    CodeGuessBudget.objects.create(
        user=enrolled.user, consecutive_failures=100, locked_at=timezone.now()
    )
    sign_in(client, enrolled.user.email)
    response = client.post(reverse(VERIFY), {"code": current_code(enrolled.secret)})
    assert "locked after too many invalid codes. Contact your administrator." in text(response)
    assert 'name="code"' not in text(response)
    assert not is_signed_in(client)


@pytest.mark.parametrize("page", ["regenerate", "enroll"])
def test_the_personal_page_meets_the_same_budget(client, user, policy, enroll, settings, page):
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 2
    client.force_login(user)
    if page == "regenerate":
        secret = enroll(user).secret
        url = reverse("twofactor:account-regenerate")
    else:
        client.post(reverse("twofactor:account-enroll"), {"start": "1"})
        secret = keys.decrypt_secret(user.authenticator.encrypted_secret)
        url = reverse("twofactor:account-enroll")
    client.post(url, {"code": wrong_code(secret)})
    response = client.post(url, {"code": wrong_code(secret)})
    assert "Invalid code. Too many invalid codes for this account." in text(response)
    response = client.post(url, {"code": current_code(secret)})
    assert response.status_code == HTTPStatus.BAD_REQUEST and WAIT.search(text(response))
