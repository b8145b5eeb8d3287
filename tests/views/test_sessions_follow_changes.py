"""Sessions follow security changes and self-service password change."""

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.services import user_update
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery.session_generation import sessions_end_others
from portal2fa.twofactor.middleware import ENDED_MESSAGE
from portal2fa.twofactor.services.enrollment import enrollment_reset
from tests.conftest import PASSWORD

from .helpers import is_signed_in, sign_in, text

NEW_PASSWORD = "a new and rather long passphrase 42"
PASSWORD_URL = reverse("twofactor:account-password")


@pytest.fixture(autouse=True)
def check_every_request(settings):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    assert is_signed_in(browser)
    return browser


def test_an_enrollment_reset_ends_the_users_sessions(enrolled, admin_user):
    phone = _browser(enrolled.user)
    bystander = _browser(admin_user)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now(), reason="lost phone")
    assert not is_signed_in(phone)
    assert is_signed_in(bystander)


def test_an_ended_session_is_told_why(enrolled, admin_user):
    phone = _browser(enrolled.user)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    page = phone.get(reverse("twofactor:account"), follow=True)
    assert ENDED_MESSAGE in text(page)
    assert SESSION_KEY not in phone.session


def test_an_ended_session_answers_json_clients_with_401(enrolled, admin_user):
    phone = _browser(enrolled.user)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    response = phone.get(reverse("twofactor:account"), HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "signed_out"


def test_a_held_session_mid_sign_in_ends_too(enrolled, admin_user):
    held = Client()
    sign_in(held, enrolled.user.email)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    response = held.get(reverse("twofactor:signin-verify"))
    assert response.status_code == HTTPStatus.FOUND
    assert SESSION_KEY not in held.session


def test_deactivation_by_an_administrator_ends_the_users_sessions(user, admin_user, policy):
    browser = _browser(user)
    user_update(
        actor=admin_user,
        user=user,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        is_active=False,
        at=timezone.now(),
    )
    assert SESSION_KEY not in browser.session or not is_signed_in(browser)
    browser.get("/")
    assert SESSION_KEY not in browser.session


def test_any_host_deactivation_through_save_ends_the_sessions(user, policy):
    browser = _browser(user)
    user.is_active = False
    user.save()
    browser.get("/")
    assert SESSION_KEY not in browser.session


def test_sessions_end_others_keeps_the_named_session(user, policy):
    kept, ended = _browser(user), _browser(user)
    sessions_end_others(user=user, keep_session_key=kept.session.session_key)
    assert is_signed_in(kept)
    assert not is_signed_in(ended)


def test_a_new_sign_in_after_the_change_works(enrolled, admin_user):
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    assert is_signed_in(_browser(enrolled.user))


def test_the_check_reads_the_database_at_most_every_interval(user, policy, settings):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 30
    browser = _browser(user)
    sessions_end_others(user=user)
    assert is_signed_in(browser)  # within 30 s of the sign-in: not re-read yet
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert not is_signed_in(browser)


# --- self-service password change ---------------------------------------------------------------


def _change(client, **overrides):
    data = {
        "current_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(PASSWORD_URL, data)


def test_password_change_needs_a_current_code_when_enrolled(enrolled):
    client = _browser(enrolled.user)
    page = client.get(PASSWORD_URL)
    assert page.status_code == HTTPStatus.OK and 'name="code"' in page.content.decode()
    response = _change(client)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter a code." in text(response)
    response = _change(client, code="000000")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    enrolled.user.refresh_from_db()
    assert enrolled.user.check_password(PASSWORD)


def test_password_change_ends_other_sessions_keeps_this_one_audits_and_mails(
    enrolled, django_capture_on_commit_callbacks
):
    other = _browser(enrolled.user)
    client = _browser(enrolled.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client, code=enrolled.code(timezone.now()))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert "Your password was changed." in text(client.get(reverse("twofactor:account")))
    enrolled.user.refresh_from_db()
    assert enrolled.user.check_password(NEW_PASSWORD)
    assert is_signed_in(client)
    assert not is_signed_in(other)
    event = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert event.target_id == enrolled.user.pk and event.actor_id == enrolled.user.pk
    assert NEW_PASSWORD not in str(event.detail) and PASSWORD not in str(event.detail)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [enrolled.user.email]
    assert NEW_PASSWORD not in mail.outbox[0].body


def test_password_change_accepts_a_backup_code_once(enrolled):
    client = _browser(enrolled.user)
    code = enrolled.backup_codes[0]
    assert _change(client, code=code).status_code == HTTPStatus.SEE_OTHER
    again = _change(
        client,
        current_password=NEW_PASSWORD,
        new_password1=NEW_PASSWORD + "!",
        new_password2=NEW_PASSWORD + "!",
        code=code,
    )
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "This code was already used." in text(again)


def test_password_change_refuses_a_wrong_current_password(user, policy):
    client = _browser(user)
    response = _change(client, current_password="not it")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Your current password is incorrect." in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_wrong_current_passwords_are_throttled(user, policy, settings):
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 3
    client = _browser(user)
    for _ in range(3):
        _change(client, current_password="not it")
    response = _change(client)  # even the right one, for the window
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Too many wrong current passwords." in text(response)


def test_password_change_applies_the_password_validators(enrolled):
    client = _browser(enrolled.user)
    code = enrolled.code(timezone.now())
    response = _change(client, new_password1="password", new_password2="password", code=code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This password is too common." in text(response)
    # the code was not spent on the refused password
    assert _change(client, code=code).status_code == HTTPStatus.SEE_OTHER


def test_password_change_checks_the_two_new_passwords_match(user, policy):
    response = _change(_browser(user), new_password2=NEW_PASSWORD + "x")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The two new passwords do not match." in text(response)


def test_a_user_without_2fa_changes_the_password_without_a_code(user, policy):
    client = _browser(user)
    assert 'name="code"' not in client.get(PASSWORD_URL).content.decode()
    assert _change(client).status_code == HTTPStatus.SEE_OTHER
    client.post(reverse("twofactor:signout"))
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == HTTPStatus.FOUND


def test_password_change_needs_sign_in(client, user):
    response = client.get(PASSWORD_URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("twofactor:signin"))


def test_a_resubmit_after_a_lost_password_change_answer_stays_signed_in(user, policy):
    """The change rotates the session id; a second click still carrying the old id must not land
    on the sign-in page (the password is changed once)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(PASSWORD_URL)
    old_session = client.cookies["sessionid"].value
    data = {
        "current_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    assert client.post(PASSWORD_URL, data).status_code == HTTPStatus.SEE_OTHER
    client.cookies["sessionid"] = old_session  # the answer never reached the browser
    second = client.post(PASSWORD_URL, data, follow=True)
    assert second.status_code == HTTPStatus.OK
    assert second.redirect_chain[-1][0] == PASSWORD_URL
    assert is_signed_in(client)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_unlock_by_an_administrator_ends_the_users_sessions(enrolled, admin_user):
    from portal2fa.twofactor.models import CodeGuessBudget
    from portal2fa.twofactor.services.code_locks import code_lock_clear

    held = _browser(enrolled.user)
    CodeGuessBudget.objects.create(
        user=enrolled.user, consecutive_failures=100, locked_at=timezone.now()
    )
    code_lock_clear(actor=admin_user, user=enrolled.user, at=timezone.now())
    assert not is_signed_in(held)


def test_by_default_a_change_ends_the_other_sessions_at_once(user, policy, settings):
    del settings.PORTAL2FA_SESSION_CHECK_SECONDS  # the library's default
    browser = _browser(user)
    assert is_signed_in(browser)
    sessions_end_others(user=user)
    assert not is_signed_in(browser)  # the very next request, no interval to wait


def test_checking_every_request_does_not_save_the_session_each_time(user, policy, settings):
    del settings.PORTAL2FA_SESSION_CHECK_SECONDS
    browser = _browser(user)
    browser.get(reverse("accounts:home"))
    from django.contrib.sessions.models import Session

    stored = Session.objects.get().session_data
    for _ in range(3):
        assert is_signed_in(browser)
    assert Session.objects.get().session_data == stored
