"""The own sign-in page reads the user's session generation with the challenge, under the per-user
lock, instead of in its own statement at login() (machinery/session_generation.py NOTED_GENERATION). Read
earlier, it may only be lower: a security change during the sign-in ends the new session."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.machinery import code_checks
from portal2fa.twofactor.machinery.session_generation import (
    GENERATION_KEY,
    session_generation,
    sessions_end_others,
)
from portal2fa.twofactor.services.challenge import EXPIRED

from .helpers import is_signed_in, sign_in, text


@pytest.fixture(autouse=True)
def check_every_request(settings):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0


def test_the_sign_in_records_the_users_current_generation(enrolled):
    sessions_end_others(user=enrolled.user)
    sessions_end_others(user=enrolled.user)
    browser = Client()
    sign_in(browser, enrolled.user.email)
    browser.post(reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())})
    assert browser.session[GENERATION_KEY] == session_generation(enrolled.user.pk) == 2
    assert is_signed_in(browser)


def test_a_security_change_during_the_code_check_ends_the_sign_in(enrolled, monkeypatch):
    consume = code_checks.consume_code

    def consume_after_a_change(authenticator, code, **kwargs):
        # A password change (or an unlock) elsewhere, after the challenge was read under the lock
        sessions_end_others(user=authenticator.user)
        return consume(authenticator, code, **kwargs)

    monkeypatch.setattr(code_checks, "consume_code", consume_after_a_change)
    browser = Client()
    sign_in(browser, enrolled.user.email)
    response = browser.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    # The code was right, but the change ended this sign-in in progress with the sessions (in
    # this one-connection test the refusal's rollback takes the change back with it)
    assert response.status_code == 400
    assert EXPIRED in text(response)
    assert not is_signed_in(browser)


def test_a_host_login_still_reads_the_generation_itself(enrolled):
    sessions_end_others(user=enrolled.user)
    browser = Client()
    browser.force_login(enrolled.user)  # login() without the sign-in page: nothing noted
    assert browser.session[GENERATION_KEY] == 1
