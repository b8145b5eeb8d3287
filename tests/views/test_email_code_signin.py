"""The verify step's "Try another way": email codes, with the mail captured (locmem, mail.outbox)."""

import re
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import CodeGuessBudget, EmailCode, SignInChallenge

from .helpers import assert_no_inline_script, is_signed_in, sign_in, text

pytestmark = pytest.mark.django_db

VERIFY = "twofactor:signin-verify"
EMAIL = "twofactor:signin-verify-email"
LOCKED = "Too many invalid attempts. Start a new sign-in."


@pytest.fixture
def alice(enrolled, set_email_codes):
    set_email_codes(True)
    return enrolled


@pytest.fixture
def set_email_codes(policy):
    def switch(on: bool):
        type(policy).objects.filter(pk=1).update(email_codes_allowed=on)

    return switch


def mailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_verify_page_offers_email_me_a_code_when_allowed(client, alice):
    response = sign_in(client, alice.user.email)
    assert response.url == reverse(VERIFY)
    page = text(client.get(reverse(VERIFY)))
    assert "Try another way" in page and reverse(EMAIL) in page


def test_verify_page_does_not_offer_it_when_switched_off(client, enrolled, set_email_codes):
    set_email_codes(False)
    sign_in(client, enrolled.user.email)
    assert reverse(EMAIL) not in text(client.get(reverse(VERIFY)))
    response = client.get(reverse(EMAIL))
    assert response.status_code == HTTPStatus.FOUND and response.url == reverse(VERIFY)


def test_not_offered_for_a_role_that_forbids_email(client, admin_user, enroll, set_email_codes):
    set_email_codes(True)
    enroll(admin_user)  # the demo's Administrator: authenticator or passkey only
    sign_in(client, admin_user.email)
    assert reverse(EMAIL) not in text(client.get(reverse(VERIFY)))
    response = client.post(reverse(EMAIL), {"send": "1"})
    assert response.status_code == HTTPStatus.FOUND and mail.outbox == []
    response = client.post(reverse(EMAIL), {"code": "123456"})
    assert response.status_code == HTTPStatus.FOUND
    assert not is_signed_in(client)


def test_email_code_signs_in(client, alice):
    sign_in(client, alice.user.email)
    page = client.get(reverse(EMAIL))
    assert "Email me a code" in text(page) and "a***@example.com" in text(page)
    assert_no_inline_script(page)
    response = client.post(reverse(EMAIL), {"send": "1"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.user.email]
    page = client.get(reverse(EMAIL))
    assert "We sent a code to a***@example.com" in text(page) and "Resend code" in text(page)
    response = client.post(reverse(EMAIL), {"code": mailed_code()})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_a_full_width_email_code_with_a_no_break_space_signs_in(client, alice):
    sign_in(client, alice.user.email)
    client.post(reverse(EMAIL), {"send": "1"})
    code = mailed_code().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post(reverse(EMAIL), {"code": f"{code[:3]}\u00a0{code[3:]}"})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)


def test_resend_is_throttled_and_limited_on_the_page(client, alice):
    sign_in(client, alice.user.email)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse(EMAIL), {"send": "1"})
        client.post(reverse(EMAIL), {"send": "1"})
        assert "Wait 30 seconds before sending another code." in text(client.get(reverse(EMAIL)))
    for seconds in (30, 60, 90):
        with time_machine.travel(start + timezone.timedelta(seconds=seconds), tick=False):
            client.post(reverse(EMAIL), {"send": "1"})
    assert len(mail.outbox) == 3
    with time_machine.travel(start + timezone.timedelta(seconds=91), tick=False):
        assert "No more codes can be sent" in text(client.get(reverse(EMAIL)))
        client.post(reverse(EMAIL), {"code": mailed_code()})
    assert is_signed_in(client)


def test_wrong_email_codes_lock_the_sign_in(client, alice, policy):
    type(policy).objects.filter(pk=1).update(max_invalid_attempts=2)
    sign_in(client, alice.user.email)
    client.post(reverse(EMAIL), {"send": "1"})
    code = mailed_code()
    first = client.post(reverse(EMAIL), {"code": wrong(code)})
    assert first.status_code == HTTPStatus.BAD_REQUEST and "1 attempt" in text(first)
    second = client.post(reverse(EMAIL), {"code": wrong(code)})
    assert LOCKED in text(second) and 'data-testid="locked"' in text(second)
    third = client.post(reverse(EMAIL), {"code": code})
    assert third.status_code == HTTPStatus.FORBIDDEN
    assert not is_signed_in(client)
    assert SignInChallenge.objects.get().failed_attempts == 2
    assert CodeGuessBudget.objects.get().consecutive_failures == 2
    assert EmailCode.objects.get().used_at is None


def test_junk_codes_are_a_400_not_a_500(client, alice):
    sign_in(client, alice.user.email)
    client.post(reverse(EMAIL), {"send": "1"})
    for junk in ("", "x" * 40, "12345é", "\x00"):
        response = client.post(reverse(EMAIL), {"code": junk})
        assert response.status_code == HTTPStatus.BAD_REQUEST, junk


def test_without_a_sign_in_the_page_sends_to_the_start(client, alice):
    response = client.get(reverse(EMAIL))
    assert response.status_code == HTTPStatus.FOUND
    assert mail.outbox == []


def test_a_held_session_of_a_host_login_can_use_an_email_code(client, alice):
    """A login by the host's own view is held at the second factor: the email-code page is one of
    the pages a held session may reach (it was not: the middleware sent it back to verify)."""
    client.force_login_held(alice.user)
    page = client.get(reverse(EMAIL))
    assert page.status_code == HTTPStatus.OK and "Email me a code" in text(page)
    assert client.post(reverse(EMAIL), {"send": "1"}).status_code == HTTPStatus.SEE_OTHER
    response = client.post(reverse(EMAIL), {"code": mailed_code()})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("twofactor:account")).status_code == HTTPStatus.OK


def test_the_pages_state_the_configured_validity(client, alice, settings):
    """Review finding: the page before sending said 10 minutes whatever the setting."""
    settings.PORTAL2FA_EMAIL_CODE_MINUTES = 4
    sign_in(client, alice.user.email)
    assert "It is valid for 4 minutes." in text(client.get(reverse(EMAIL)))
    sent = client.post(reverse(EMAIL), {"send": "1"}, follow=True)
    assert "It is valid for 4 minutes." in text(sent)


def test_the_settings_tab_states_the_configured_validity(admin_client, settings):
    settings.PORTAL2FA_EMAIL_CODE_MINUTES = 4
    settings_tab = text(admin_client.get(reverse("twofactor:setup-settings")))
    assert "valid 4 minutes, at the verify step" in settings_tab
