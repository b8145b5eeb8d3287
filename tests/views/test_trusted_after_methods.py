"""'Trust this browser' after every second factor, not only the authenticator code: an email code,
an SMS code (mail and texts captured in memory) and a passkey (the software authenticator). One
rule for all (web/trusted.grant_if_asked): asked, and offered by the policy to this user."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Enforcement, TrustedBrowser, TwoFactorSettings
from portal2fa.twofactor.sms import LocmemSmsProvider
from portal2fa.twofactor.web.trusted import COOKIE_NAME, TRUST_FIELD

from .helpers import current_code, is_signed_in, sign_in, text
from .test_passkey_pages import SIGNIN_OPTIONS, SIGNIN_PASSKEY, post_json, register

VERIFY = reverse("twofactor:signin-verify")
EMAIL = reverse("twofactor:signin-verify-email")
SMS = reverse("twofactor:signin-verify-sms")
OFFER = "Trust this browser for 14 days"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def methods_on(policy, settings):
    """Email and SMS codes and passkeys allowed; every user has a phone number (the demo's do not)."""
    settings.PORTAL2FA_ADAPTER = "tests.services.test_sms_codes.PhoneAdapter"
    settings.PORTAL2FA_SMS_PROVIDER = "portal2fa.twofactor.sms.LocmemSmsProvider"
    LocmemSmsProvider.outbox.clear()
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=True, sms_codes_allowed=True, passkeys_allowed=True
    )


@pytest.fixture
def unrecognized(methods_on):
    TwoFactorSettings.objects.filter(pk=1).update(
        enforcement=Enforcement.UNRECOGNIZED_DEVICES, trust_days=14
    )


def mailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def texted_code() -> str:
    return re.search(r"\b(\d{6})\b", LocmemSmsProvider.outbox[-1].body).group(1)


CHANNELS = [(EMAIL, mailed_code, "email"), (SMS, texted_code, "sms")]


def code_step(client, url, read_code, *, trust: bool):
    """The email or SMS page: send, then the code (with the box ticked or not)."""
    client.post(url, {"send": "1"})
    data = {"code": read_code()}
    if trust:
        data[TRUST_FIELD] = "1"
    return client.post(url, data, HTTP_USER_AGENT=UA)


def sign_out_and_in_again(client, enrolled):
    """True when the password alone signed in again (the browser is trusted)."""
    client.post(reverse("twofactor:signout"))
    assert not is_signed_in(client)
    response = sign_in(client, enrolled.user.email)
    assert response.status_code == HTTPStatus.FOUND
    return response.url != VERIFY and is_signed_in(client)


def added_after() -> str:
    return AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_ADDED).detail["factor"]


# --- email and SMS codes ------------------------------------------------------------------------


@pytest.mark.parametrize("url,read_code,factor", CHANNELS)
def test_a_code_with_the_box_ticked_trusts_the_browser(
    client, enrolled, unrecognized, url, read_code, factor
):
    sign_in(client, enrolled.user.email)
    client.post(url, {"send": "1"})
    page = text(client.get(url))
    assert OFFER in page and f'name="{TRUST_FIELD}"' in page  # the same box as the verify page
    response = code_step(client, url, read_code, trust=True)
    assert response.status_code == HTTPStatus.FOUND
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    row = TrustedBrowser.objects.get(user=enrolled.user)
    assert row.name == "Firefox on Linux"
    assert added_after() == factor
    assert sign_out_and_in_again(client, enrolled)


@pytest.mark.parametrize("url,read_code,factor", CHANNELS)
def test_a_code_without_the_box_trusts_nothing(
    client, enrolled, unrecognized, url, read_code, factor
):
    sign_in(client, enrolled.user.email)
    response = code_step(client, url, read_code, trust=False)
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)
    assert COOKIE_NAME not in response.cookies
    assert not TrustedBrowser.objects.exists()
    assert not sign_out_and_in_again(client, enrolled)


def test_a_wrong_email_code_trusts_nothing_and_keeps_the_box_ticked(client, enrolled, unrecognized):
    sign_in(client, enrolled.user.email)
    client.post(EMAIL, {"send": "1"})
    wrong = f"{(int(mailed_code()) + 1) % 10**6:06d}"
    response = client.post(EMAIL, {"code": wrong, TRUST_FIELD: "1"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert COOKIE_NAME not in response.cookies and not TrustedBrowser.objects.exists()
    assert re.search(rf'name="{TRUST_FIELD}"[^>]* checked', text(response))


@pytest.mark.parametrize("url,read_code,factor", CHANNELS)
def test_every_signin_mode_offers_no_trust_after_a_code(
    client, enrolled, methods_on, url, read_code, factor
):
    sign_in(client, enrolled.user.email)
    client.post(url, {"send": "1"})
    assert "Trust this browser" not in text(client.get(url))
    response = code_step(client, url, read_code, trust=True)  # the field is ignored
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)
    assert COOKIE_NAME not in response.cookies and not TrustedBrowser.objects.exists()


@pytest.mark.parametrize("url,read_code,factor", CHANNELS)
def test_a_role_that_always_requires_the_factor_is_never_trusted_after_a_code(
    client, enrolled, unrecognized, url, read_code, factor
):
    enrolled.user.role.always_second_factor = True
    enrolled.user.role.save()
    sign_in(client, enrolled.user.email)
    client.post(url, {"send": "1"})
    assert "Trust this browser" not in text(client.get(url))
    response = code_step(client, url, read_code, trust=True)
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)
    assert COOKIE_NAME not in response.cookies and not TrustedBrowser.objects.exists()
    assert not sign_out_and_in_again(client, enrolled)


@pytest.mark.parametrize("url,read_code,factor", CHANNELS)
def test_a_code_page_ignores_the_query_parameter_a_link_could_set(
    client, enrolled, unrecognized, url, read_code, factor
):
    """A code form posts to its page's URL: only the ticked box counts there, not ?trust_browser=1."""
    sign_in(client, enrolled.user.email)
    client.post(url, {"send": "1"})
    response = client.post(f"{url}?{TRUST_FIELD}=1", {"code": read_code()})
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)
    assert COOKIE_NAME not in response.cookies and not TrustedBrowser.objects.exists()


def test_the_verify_page_audits_the_authenticator_code(client, enrolled, unrecognized):
    sign_in(client, enrolled.user.email)
    client.post(VERIFY, {"code": current_code(enrolled.secret), TRUST_FIELD: "1"})
    assert added_after() == "totp"


# --- passkeys -----------------------------------------------------------------------------------


def passkey_step(client, key, *, trust: bool):
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    url = SIGNIN_PASSKEY + (f"?{TRUST_FIELD}=1" if trust else "")
    return post_json(client, url, key.assert_(options))


def with_a_key(client, enrolled):
    client.force_login(enrolled.user)
    key = register(client, enrolled)
    client.logout()
    sign_in(client, enrolled.user.email)
    return key


def test_a_passkey_with_the_box_ticked_trusts_the_browser(client, enrolled, unrecognized):
    key = with_a_key(client, enrolled)
    page = text(client.get(VERIFY))
    assert OFFER in page and f'data-trust-field="{TRUST_FIELD}"' in page
    done = passkey_step(client, key, trust=True)
    assert done.status_code == HTTPStatus.OK and done.json()["redirect"]
    assert done.cookies[COOKIE_NAME]["httponly"]
    assert TrustedBrowser.objects.filter(user=enrolled.user).count() == 1
    assert added_after() == "passkey"
    assert sign_out_and_in_again(client, enrolled)


def test_a_passkey_without_the_box_trusts_nothing(client, enrolled, unrecognized):
    key = with_a_key(client, enrolled)
    done = passkey_step(client, key, trust=False)
    assert done.status_code == HTTPStatus.OK and is_signed_in(client)
    assert COOKIE_NAME not in done.cookies and not TrustedBrowser.objects.exists()


def test_a_refused_passkey_trusts_nothing(client, enrolled, unrecognized):
    key = with_a_key(client, enrolled)
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    done = post_json(client, f"{SIGNIN_PASSKEY}?{TRUST_FIELD}=1", key.assert_(options, tamper=True))
    assert done.status_code == HTTPStatus.BAD_REQUEST
    assert COOKIE_NAME not in done.cookies and not TrustedBrowser.objects.exists()


def test_a_role_that_always_requires_the_factor_is_never_trusted_after_a_passkey(
    client, enrolled, unrecognized
):
    enrolled.user.role.always_second_factor = True
    enrolled.user.role.save()
    key = with_a_key(client, enrolled)
    page = text(client.get(VERIFY))
    assert "Trust this browser" not in page and "data-trust-field" not in page
    done = passkey_step(client, key, trust=True)  # asked all the same: refused
    assert done.status_code == HTTPStatus.OK and is_signed_in(client)
    assert COOKIE_NAME not in done.cookies and not TrustedBrowser.objects.exists()


def test_every_signin_mode_never_trusts_after_a_passkey(client, enrolled, methods_on):
    key = with_a_key(client, enrolled)
    assert "data-trust-field" not in text(client.get(VERIFY))
    done = passkey_step(client, key, trust=True)
    assert done.status_code == HTTPStatus.OK
    assert COOKIE_NAME not in done.cookies and not TrustedBrowser.objects.exists()


def test_the_passkey_answer_with_trust_still_needs_the_csrf_token(client, enrolled, unrecognized):
    key = with_a_key(client, enrolled)
    client.handler.enforce_csrf_checks = True  # as a browser's requests are checked from now on
    page = text(client.get(VERIFY))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    options = client.post(SIGNIN_OPTIONS, HTTP_X_CSRFTOKEN=token).json()["options"]
    url = f"{SIGNIN_PASSKEY}?{TRUST_FIELD}=1"
    answer = key.assert_(options)
    refused = client.post(url, answer, content_type="application/json")  # no X-CSRFToken
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert not TrustedBrowser.objects.exists() and not is_signed_in(client)
    done = client.post(url, answer, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert done.status_code == HTTPStatus.OK and COOKIE_NAME in done.cookies
