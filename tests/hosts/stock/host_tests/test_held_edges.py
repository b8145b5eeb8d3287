"""Edges of the held session found in review: later login middleware, stale sessions, redirects."""

import time
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from portal2fa.twofactor.adapter import DefaultAdapter
from portal2fa.twofactor.web.second_factor import NEXT_KEY, safe_local_path
from tests.reference_totp import totp

from .conftest import enroll_through_pages, host_login

VERIFY = "/signin/verify/"
REMOTE_USER_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal2fa.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.auth.middleware.RemoteUserMiddleware",  # logs in after ours ran its request phase
    "django.contrib.messages.middleware.MessageMiddleware",
]


@override_settings(
    MIDDLEWARE=REMOTE_USER_MIDDLEWARE,
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.RemoteUserBackend"],
)
def test_a_login_by_a_later_middleware_is_held_too(client, policy, staff):
    for _ in range(3):  # no session cookie kept between these: each request logs in afresh
        client.cookies.clear()
        response = client.get("/", REMOTE_USER="sam")
        assert response.status_code == HTTPStatus.FOUND and response.url == VERIFY


@pytest.mark.parametrize("change", ["deactivate", "delete", "password"])
def test_a_stale_held_session_is_anonymous_not_an_error(client, policy, staff, change):
    client.force_login(staff)  # held: the stock host's client is not patched
    if change == "deactivate":
        staff.is_active = False
        staff.save()
    elif change == "delete":
        staff.delete()
    else:
        staff.set_password("another long passphrase")
        staff.save()
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/accounts/login/")


def test_no_open_redirect_through_the_remembered_page(client, policy, staff, rf):
    host_login(client, "sam")
    client.get("/admin/")
    client.get("/%2Fevil.example/")  # no such view: nothing to hold, nothing remembered
    assert client.session[NEXT_KEY] == "/admin/"
    request = rf.get("/")
    for evil in ["//evil.example/", "/\\evil.example/", "https://evil.example/", "admin:index"]:
        assert safe_local_path(request, evil) is None, evil
    assert safe_local_path(request, "/admin/?q=1") == "/admin/?q=1"


def test_background_requests_do_not_replace_where_the_user_was_going(client, policy, staff):
    host_login(client, "sam")
    assert client.get("/admin/").url == VERIFY
    fetched = client.get("/api/me", HTTP_ACCEPT="image/*", HTTP_SEC_FETCH_MODE="no-cors")
    assert fetched.status_code == HTTPStatus.UNAUTHORIZED  # held; not a page the user asked for
    assert client.session[NEXT_KEY] == "/admin/"


def test_an_api_call_without_an_accept_header_gets_401(client, policy, staff):
    host_login(client, "sam")
    response = client.get("/api/me", HTTP_ACCEPT="*/*")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["url"] == VERIFY


@override_settings(LOGIN_URL="/")
def test_login_url_is_no_way_around_unless_it_is_a_login_view(client, policy, staff):
    host_login(client, "sam")
    assert client.get("/").url == VERIFY  # LOGIN_URL is the host's home: still held


def test_the_login_page_starts_a_new_sign_in(client, policy, staff):
    host_login(client, "sam")
    assert client.get("/accounts/login/").status_code == HTTPStatus.OK  # signed the held one out
    assert client.get("/").url == "/accounts/login/?next=/"
    host_login(client, "sam")
    secret = enroll_through_pages(client)
    client.post("/accounts/logout/")
    host_login(client, "sam")
    code = totp(secret, time.time() + 30)
    assert client.post(VERIFY, {"code": code}).url == "/"


def test_an_ambiguous_email_names_nobody(make_user, capsys):
    make_user("twin1", email="twin@example.org")
    make_user("twin2", email="twin@example.org")
    assert DefaultAdapter().find_user("twin@example.org") is None
    assert DefaultAdapter().find_user("TWIN1").username == "twin1"
    with pytest.raises(CommandError):
        call_command("portal2fa", "enrollment", "reset", "twin@example.org", "--yes")


def test_a_user_model_without_permissions_administers_nothing():
    user = SimpleNamespace(is_authenticated=True, is_active=True)  # no has_perm at all
    assert DefaultAdapter().can_administer(user) is False
