"""SMS codes: the email-code flow through PORTAL2FA_SMS_PROVIDER (tests: the in-memory provider)."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from portal2fa.accounts.adapter import PortalAdapter
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import EmailCode, SignInChallenge
from portal2fa.twofactor.selectors.email_codes import SMS_NOT_AVAILABLE
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_attempt, email_code_send
from portal2fa.twofactor.sms import ConsoleSmsProvider, LocmemSmsProvider
from tests.views.helpers import is_signed_in, sign_in, text

from .helpers import T0, later

pytestmark = pytest.mark.django_db

NUMBER = "+15555550142"


class PhoneAdapter(PortalAdapter):
    """The demo's users have no phone number: this host gives every user one."""

    def phone_number(self, user) -> str:
        return NUMBER


@pytest.fixture
def alice(user, enroll, set_policy, settings):
    settings.PORTAL2FA_ADAPTER = "tests.services.test_sms_codes.PhoneAdapter"
    settings.PORTAL2FA_SMS_PROVIDER = "portal2fa.twofactor.sms.LocmemSmsProvider"
    LocmemSmsProvider.outbox.clear()
    set_policy(sms_codes_allowed=True)
    return enroll(user, at=T0)


def start(alice):
    token = challenge_issue(user=alice.user, at=later(minutes=1))
    return token, SignInChallenge.objects.get(token_digest=keys.token_digest(token))


def texted_code() -> str:
    return re.search(r"\b(\d{6})\b", LocmemSmsProvider.outbox[-1].body).group(1)


def test_sms_code_is_sent_by_the_provider_and_signs_in_once(alice):
    token, challenge = start(alice)
    sent = email_code_send(challenge=challenge, at=later(minutes=1), channel="sms")
    assert sent.ok and sent.address == "the number ending 42"
    assert [m.to for m in LocmemSmsProvider.outbox] == [NUMBER] and mail.outbox == []
    code = texted_code()
    assert keys.email_code_digest(challenge.pk, code) == EmailCode.objects.get().digest
    assert email_code_attempt(token=token, code=code, at=later(minutes=2), channel="sms").ok
    assert AuditEvent.objects.get(action=Action.SIGNIN_SUCCEEDED).detail["factor"] == "sms"


def test_an_sms_code_does_not_count_as_an_email_code(alice, set_policy):
    set_policy(email_codes_allowed=True)
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1), channel="sms")
    result = email_code_attempt(token=token, code=texted_code(), at=later(minutes=2))
    assert not result.ok
    assert SignInChallenge.objects.get().failed_attempts == 1


def test_sms_switched_off_or_forbidden_by_the_role(alice, set_policy):
    token, challenge = start(alice)
    role = alice.user.role
    role.second_factor_methods = ["email"]
    role.save()
    assert email_code_send(challenge=challenge, at=later(minutes=1), channel="sms").message == (
        SMS_NOT_AVAILABLE
    )
    assert LocmemSmsProvider.outbox == []


def test_sends_are_counted_per_sign_in_whatever_the_channel(alice, set_policy, settings):
    settings.PORTAL2FA_EMAIL_CODE_SENDS = 2
    set_policy(email_codes_allowed=True)
    _, challenge = start(alice)
    assert email_code_send(challenge=challenge, at=later(minutes=1), channel="sms").ok
    assert email_code_send(challenge=challenge, at=later(minutes=2)).ok
    assert not email_code_send(challenge=challenge, at=later(minutes=3), channel="sms").ok


def test_console_provider_prints(capsys):
    ConsoleSmsProvider().send(NUMBER, "123456 is your code")
    assert capsys.readouterr().out == f"SMS to {NUMBER}: 123456 is your code\n"


def test_text_me_a_code_on_the_verify_page(client, alice):
    sign_in(client, alice.user.email)
    assert "Text me a code" in text(client.get(reverse("twofactor:signin-verify")))
    url = reverse("twofactor:signin-verify-sms")
    assert "Sign in with an SMS code" in text(client.get(url))
    client.post(url, {"send": "1"})
    assert "the number ending 42" in text(client.get(url))
    response = client.post(url, {"code": texted_code()})
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)
