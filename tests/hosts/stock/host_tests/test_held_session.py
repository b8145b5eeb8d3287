"""After any login to the stock host, the session reaches nothing but the second-factor step."""

import json
import time
from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal2fa.twofactor.models import Authenticator
from tests.reference_totp import totp

from .conftest import enroll_through_pages, host_login

HELD_OK = {  # what a held session may reach: the 2FA step and the ways out
    "/signin/",
    "/signin/verify/",
    "/signin/enroll/",
    "/signin/skip/",
    "/signin/pass/",
    "/signin/remind-later/",
    "/signin/passkey/",
    "/signin/passkey/options/",
    "/signin/verify/email/",
    "/signin/verify/sms/",
    "/signin/enroll/passkey/",
    "/signin/enroll/passkey/options/",
    "/signout/",
    "/accounts/login/",
    "/accounts/logout/",
    "/admin/login/",
    "/admin/logout/",
    "/bye/",  # a LogoutView subclass
    "/jsi18n/",  # Django's JavaScriptCatalog, which a held page in the host's layout may load
    "/admin/jsi18n/",  # the admin's
}


def every_path() -> list[str]:
    """One concrete path per URL pattern of the host (parameters filled with plausible values)."""
    samples = {"<slug:name>": "no-codes", "<path:object_id>": "1", "<int:pk>": "1"}
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                path = prefix + route
                if route.startswith("^"):  # the admin's regex patterns
                    continue
                for placeholder, value in samples.items():
                    path = path.replace(placeholder, value)
                if "<" not in path:
                    paths.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def test_the_host_has_pages_to_protect():
    paths = every_path()
    for expected in ["/", "/api/me", "/admin/", "/setup/two-factor/", "/account/two-factor/"]:
        assert expected in paths
    assert len(paths) > 20


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_a_held_session_reaches_nothing_else(client, policy, staff, login_url):
    staff.is_staff = True  # the admin's login view takes staff only
    staff.save()
    response = host_login(client, "sam", url=login_url)
    assert response.status_code == HTTPStatus.FOUND
    verify = reverse("twofactor:signin-verify")
    for path in every_path():
        if path in HELD_OK or path.startswith("/accounts/"):
            continue
        page = client.get(path, HTTP_ACCEPT="text/html")
        assert page.status_code == HTTPStatus.FOUND, path
        assert page.url == verify, path
        api = client.get(path, HTTP_ACCEPT="application/json")
        assert api.status_code == HTTPStatus.UNAUTHORIZED, path
        assert json.loads(api.content)["error"] == "second_factor_required"
        posted = client.post(path, {"x": "1"}, HTTP_ACCEPT="text/html")
        assert posted.status_code == HTTPStatus.FOUND and posted.url == verify, path
    # The step itself sends an unenrolled user of a role requiring 2FA on to enrollment.
    assert client.get(verify).url == reverse("twofactor:signin-enroll")
    assert not Authenticator.objects.filter(user=staff, confirmed_at__isnull=False).exists()


def test_enrolling_lets_the_session_through_to_where_it_was_going(client, policy, staff):
    host_login(client, "sam")
    assert client.get("/api/me", HTTP_ACCEPT="text/html").url == reverse("twofactor:signin-verify")
    enroll_through_pages(client)
    assert client.get("/").status_code == HTTPStatus.OK
    assert client.get("/api/me").json() == {"username": "sam"}


def test_an_enrolled_user_signs_in_with_a_code_after_the_host_login(client, policy, staff):
    host_login(client, "sam")
    secret = enroll_through_pages(client)
    client.post("/accounts/logout/")
    host_login(client, "sam")
    assert client.get("/").url == reverse("twofactor:signin-verify")
    time.sleep(0)  # codes are computed for the next step: no replay of the confirming one
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": totp(secret, time.time() + 30)}
    )
    assert response.status_code == HTTPStatus.FOUND and response.url == "/"
    assert client.get("/").status_code == HTTPStatus.OK


def test_users_no_group_requires_pass_with_the_host_login_alone(client, policy, make_user):
    make_user("guest")
    host_login(client, "guest")
    assert client.get("/").status_code == HTTPStatus.OK


def test_any_group_requiring_2fa_is_enough(client, policy, make_user, staff_group, db):
    from django.contrib.auth.models import Group

    relaxed = Group.objects.create(name="Readers")  # no GroupRole row: does not require 2FA
    make_user("both", groups=[relaxed, staff_group])
    host_login(client, "both")
    assert client.get("/").url == reverse("twofactor:signin-verify")


def test_switched_off_2fa_holds_no_one(client, staff, db):
    host_login(client, "sam")
    assert client.get("/").status_code == HTTPStatus.OK


def test_the_pages_wear_the_hosts_layout(client, policy, staff):
    host_login(client, "sam")
    page = client.get(reverse("twofactor:signin-enroll")).content.decode()
    assert '<header class="host-header">Stock host</header>' in page  # its portal2fa/base.html
    assert 'class="p2fa"' in page and "portal2fa/portal.css" in page
    assert 'data-testid="manual-key"' in page
