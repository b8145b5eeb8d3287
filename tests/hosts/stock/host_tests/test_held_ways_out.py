"""A held session on the stock host: its login pages start a new sign-in, its logout views are
reachable, every held page shows a way out, and a held page may load what its layout needs."""

from http import HTTPStatus

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from portal2fa.twofactor.conf import DEFAULTS
from portal2fa.twofactor.models import GroupRole, TwoFactorSettings

from .conftest import enroll_through_pages, host_login

VERIFY = "/signin/verify/"


def held(client, username="sam", url="/accounts/login/"):
    host_login(client, username, url=url)
    assert client.get("/").url == VERIFY
    return client


@pytest.mark.parametrize("login_page", ["/accounts/login/", "/admin/login/"])
def test_the_hosts_login_page_signs_the_held_session_out_first(client, policy, staff, login_page):
    held(client)
    page = client.get(login_page)
    assert page.status_code == HTTPStatus.OK  # the form, not a redirect onwards to the hold
    assert SESSION_KEY not in client.session
    assert client.get("/").url == "/accounts/login/?next=/"


def test_a_login_view_named_in_the_setting_signs_out_too(client, policy, staff, settings):
    held(client)
    settings.PORTAL2FA_LOGIN_VIEWS = ["home"]  # say the host's home were its login page
    client.get("/", HTTP_ACCEPT="text/html")
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("logout", ["/accounts/logout/", "/bye/", "/admin/logout/"])
def test_a_logout_view_of_django_or_a_subclass_is_reachable(client, policy, staff, logout):
    staff.is_staff = True  # the admin's views take staff only
    staff.save()
    held(client)
    response = client.post(logout)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    assert response.get("Location") != VERIFY
    assert SESSION_KEY not in client.session


def test_a_logout_view_of_the_hosts_own_is_reachable_once_named(client, policy, staff, settings):
    held(client)
    assert client.post("/leave/").url == VERIFY  # not Django's: held, until the setting names it
    settings.PORTAL2FA_LOGOUT_VIEWS = [*DEFAULTS["PORTAL2FA_LOGOUT_VIEWS"], "leave"]
    assert b"Goodbye" in client.post("/leave/").content
    assert SESSION_KEY not in client.session


def test_a_held_page_loads_the_javascript_catalogue_by_default(client, policy, staff):
    held(client)
    catalogue = client.get("/jsi18n/", HTTP_ACCEPT="*/*")
    assert catalogue.status_code == HTTPStatus.OK
    assert catalogue["Content-Type"].startswith("text/javascript")


def test_what_a_held_page_may_load_is_set_by_prefix_or_name(client, policy, staff, settings):
    held(client)
    assert client.get("/icons/sprite.svg", HTTP_ACCEPT="image/*").status_code == 401
    settings.PORTAL2FA_HELD_PAGES_MAY_LOAD = ["/icons/"]
    assert client.get("/icons/sprite.svg", HTTP_ACCEPT="image/*").status_code == HTTPStatus.OK
    assert client.get("/jsi18n/", HTTP_ACCEPT="*/*").status_code == 401  # replaced the default
    settings.PORTAL2FA_HELD_PAGES_MAY_LOAD = ["icons"]
    assert client.get("/icons/sprite.svg", HTTP_ACCEPT="image/*").status_code == HTTPStatus.OK
    assert client.get("/api/me", HTTP_ACCEPT="application/json").status_code == 401


def exit_form(page: str) -> str:
    start = page.index('<form method="post" action="/signout/" class="held-exit">')
    return page[start : page.index("</form>", start)]


def assert_signs_out_with_csrf(client, page):
    form = exit_form(page.content.decode())
    assert 'name="csrfmiddlewaretoken"' in form and ">Sign out</button>" in form
    out = client.post("/signout/", {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    assert out.status_code == HTTPStatus.FOUND and out.url == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_the_enrollment_page_has_a_sign_out_form(client, policy, staff):
    held(client)
    client.handler.enforce_csrf_checks = True  # as a browser's requests are checked from now on
    assert_signs_out_with_csrf(client, client.get(reverse("twofactor:signin-enroll")))


@pytest.mark.parametrize("step", ["twofactor:signin-verify", "twofactor:signin-verify-email"])
def test_the_code_pages_have_a_sign_out_form(client, policy, staff, step):
    TwoFactorSettings.objects.filter(pk=1).update(email_codes_allowed=True)
    GroupRole.objects.filter(group__user=staff).update(methods=["email"])
    held(client)
    enroll_through_pages(client)
    client.post("/accounts/logout/")
    held(client)
    client.handler.enforce_csrf_checks = True
    page = client.get(reverse(step))
    assert page.status_code == HTTPStatus.OK
    assert_signs_out_with_csrf(client, page)


def test_a_script_redirected_to_the_login_page_signs_no_one_out(client, policy, staff):
    held(client)
    client.get("/admin/login/", HTTP_ACCEPT="*/*", HTTP_SEC_FETCH_MODE="no-cors")
    assert SESSION_KEY in client.session  # a <script> whose view sent it to the login page
    client.get("/admin/login/", HTTP_SEC_FETCH_MODE="navigate")
    assert SESSION_KEY not in client.session


def test_the_admins_catalogue_loads_for_a_held_staff_member(client, policy, staff):
    staff.is_staff = True
    staff.save()
    held(client)
    catalogue = client.get("/admin/jsi18n/", HTTP_ACCEPT="*/*")
    assert catalogue.status_code == HTTPStatus.OK
    assert catalogue["Content-Type"].startswith("text/javascript")


def test_a_locked_held_page_leads_to_the_login_page_which_signs_out(client, policy, staff):
    held(client)
    enroll_through_pages(client)
    client.post("/accounts/logout/")
    policy.max_invalid_attempts = 1
    policy.save(update_fields=["max_invalid_attempts"])
    held(client)
    locked = client.post(VERIFY, {"code": "000000"}).content.decode()
    assert 'data-testid="locked"' in locked and 'href="/accounts/login/"' in locked
    client.get("/accounts/login/")
    assert SESSION_KEY not in client.session
