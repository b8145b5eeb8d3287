"""Signing in through django-allauth's account views (without its mfa app): held at the second
factor like any other login, its login page starting over, its logout reachable, its password
reset and "remember me" keeping their meaning."""

import re
import time
from http import HTTPStatus

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from tests.hosts.common import enroll_through_pages
from tests.reference_totp import totp

from .conftest import PASSWORD, allauth_login

VERIFY = "/signin/verify/"
ENROLL = "/signin/enroll/"


def test_an_allauth_login_is_held_until_the_second_factor(client, policy, staff):
    response = allauth_login(client, "sam")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(response.url).url == VERIFY
    assert client.get(VERIFY).url == ENROLL
    for page in ["/", "/admin/", "/accounts/email/", "/accounts/password/change/"]:
        assert client.get(page).url == VERIFY, page  # allauth's own pages show the user's data
    api = client.get("/accounts/email/", HTTP_ACCEPT="application/json")
    assert api.status_code == HTTPStatus.UNAUTHORIZED
    enroll_through_pages(client)
    assert client.get("/").status_code == HTTPStatus.OK
    assert client.get("/accounts/email/").status_code == HTTPStatus.OK


def test_an_enrolled_user_gives_a_code_after_the_allauth_login(client, policy, staff):
    allauth_login(client, "sam")
    secret = enroll_through_pages(client)
    client.post("/accounts/logout/")
    allauth_login(client, "sam")
    assert client.get("/").url == VERIFY
    response = client.post(VERIFY, {"code": totp(secret, time.time() + 30)})
    assert response.url == "/" and client.get("/").status_code == HTTPStatus.OK


def test_allauths_login_page_starts_a_new_sign_in(client, policy, staff):
    allauth_login(client, "sam")
    page = client.get("/accounts/login/")
    assert page.status_code == HTTPStatus.OK  # allauth would send a signed-in user away
    assert SESSION_KEY not in client.session


def test_allauths_logout_is_reachable_while_held(client, policy, staff):
    allauth_login(client, "sam")
    assert client.get("/accounts/logout/").status_code == HTTPStatus.OK  # its confirmation
    response = client.post("/accounts/logout/")
    assert response.status_code == HTTPStatus.FOUND and response.url != VERIFY
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("remember", [True, False])
def test_remember_me_keeps_its_meaning_through_the_second_factor(client, policy, staff, remember):
    allauth_login(client, "sam", remember=remember)
    enroll_through_pages(client)
    assert client.get("/").status_code == HTTPStatus.OK
    assert client.session.get_expire_at_browser_close() is not remember


def reset_password(client, email, new_password) -> None:
    """allauth's password reset, from the e-mailed link to the new password."""
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": email})
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == HTTPStatus.OK
    done = client.post(
        form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == HTTPStatus.FOUND, done.content


def test_allauths_password_reset_works_and_the_next_login_is_held(client, policy, staff):
    reset_password(client, "sam@example.org", "a new and long passphrase")
    assert allauth_login(client, "sam", PASSWORD).status_code == HTTPStatus.OK  # refused
    allauth_login(client, "sam", "a new and long passphrase")
    assert client.get("/").url == VERIFY


def test_a_login_by_the_password_reset_itself_is_held(client, policy, staff, settings):
    settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
    reset_password(client, "sam@example.org", "a new and long passphrase")
    assert client.session.get(SESSION_KEY) == str(staff.pk)
    assert client.get("/").url == VERIFY


def test_a_password_reset_ends_the_users_other_sessions(client, policy, staff):
    allauth_login(client, "sam")
    enroll_through_pages(client)
    assert client.get("/").status_code == HTTPStatus.OK
    reset_password(Client(), "sam@example.org", "a new and long passphrase")
    assert client.get("/").url.startswith("/accounts/login/")
