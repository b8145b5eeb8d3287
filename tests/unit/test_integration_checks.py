"""`manage.py check` catches a broken integration before a user meets it: the URLs shadowed by a
catch-all route, not included, LOGIN_URL leading nowhere, the middleware before
AuthenticationMiddleware; `manage.py portal2fa doctor` prints them with what it found."""

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.http import HttpResponse
from django.urls import include, path, re_path

from portal2fa.twofactor.checks import names_resolve
from portal2fa.twofactor.integration import (
    AUTH_MIDDLEWARE,
    INCLUDE_LINE,
    MIDDLEWARE,
    middleware_installed,
    urls_wired,
)


def cms_page(request, slug=""):
    return HttpResponse("a CMS page")


def login_page(request):
    return HttpResponse("log in")


CATCH_ALL = re_path(r"^(?P<slug>.*)$", cms_page)
LIBRARY = path("", include("portal2fa.urls"))
LOGIN = path("accounts/login/", login_page)


class urlconf:  # a host's urls.py module (ROOT_URLCONF may be a module object)
    def __init__(self, *patterns):
        self.urlpatterns = list(patterns)


@pytest.fixture
def host(settings):
    settings.LOGIN_URL = "/accounts/login/"
    settings.PORTAL2FA_SETUP_HOME = (
        "twofactor:setup-settings"  # the default (the demo's is its own)
    )

    def wire(*patterns):
        settings.ROOT_URLCONF = urlconf(*patterns)

    return wire


def ids(messages):
    return [message.id for message in messages]


def test_the_demo_portal_is_wired_right():
    assert urls_wired(None) == [] and middleware_installed(None) == []


def test_the_include_before_a_catch_all_route_passes(host):
    urlpatterns = [LOGIN, CATCH_ALL]
    urlpatterns.insert(0, LIBRARY)  # the README's line, pasted at the end of urls.py
    host(*urlpatterns)
    assert urls_wired(None) == []


def test_a_catch_all_route_before_the_include_is_named_with_the_fix(host):
    host(LOGIN, CATCH_ALL, LIBRARY)
    (error,) = urls_wired(None)
    assert error.id == "portal2fa.E012"
    assert "/signin/verify/ resolves to tests.unit.test_integration_checks.cms_page" in error.msg
    assert "more" in error.msg  # every route is shadowed: three named, the count of the rest
    assert INCLUDE_LINE in error.hint
    with pytest.raises(SystemCheckError, match="portal2fa.E012"):
        call_command("check")


def test_one_shadowed_route_is_named(host):
    host(LOGIN, path("signout/", cms_page), LIBRARY)
    (error,) = urls_wired(None)
    assert "/signout/ resolves to tests.unit.test_integration_checks.cms_page" in error.msg
    assert "more" not in error.msg and "/signin/" not in error.msg


def test_a_missing_include_is_one_error_naming_it(host, settings):
    host(LOGIN)
    assert ids(urls_wired(None)) == ["portal2fa.E011"]
    assert names_resolve(None) == []  # not also "PORTAL2FA_SETUP_HOME is neither a URL name …"
    (error,) = urls_wired(None)
    assert 'include("portal2fa.urls")' in error.hint
    with pytest.raises(SystemCheckError, match=r"include\(\"portal2fa.urls\"\)"):
        call_command("check")


def test_a_setup_home_of_the_host_is_still_checked_without_the_include(host, settings):
    host(LOGIN)
    settings.PORTAL2FA_SETUP_HOME = "nowhere:home"
    assert ids(names_resolve(None)) == ["portal2fa.E009"]


@pytest.mark.parametrize("login_url", ["/nowhere/", "no-such-name", "nowhere:login"])
def test_a_login_url_that_leads_nowhere_is_refused(host, settings, login_url):
    host(LOGIN, LIBRARY)
    settings.LOGIN_URL = login_url
    (error,) = urls_wired(None)
    assert error.id == "portal2fa.E013" and repr(login_url) in error.msg
    assert '"twofactor:signin"' in error.hint
    with pytest.raises(SystemCheckError, match="portal2fa.E013"):
        call_command("check")


def test_a_login_url_only_a_catch_all_route_answers_is_refused(host, settings):
    host(LIBRARY, CATCH_ALL)  # a CMS's page route would answer /accounts/login/ with a 404
    (error,) = urls_wired(None)
    assert error.id == "portal2fa.E013"
    assert "answered by a catch-all route (tests.unit.test_integration_checks.cms_page" in error.msg
    host(LIBRARY, LOGIN, CATCH_ALL)
    assert urls_wired(None) == []


@pytest.mark.parametrize(
    "login_url", ["/accounts/login/", "twofactor:signin", "https://sso.example.com/login"]
)
def test_a_login_page_a_name_or_another_sites_page_passes(host, settings, login_url):
    host(LOGIN, LIBRARY)
    settings.LOGIN_URL = login_url
    assert urls_wired(None) == []


def test_the_middleware_before_authentication_is_named_with_the_fix(settings):
    middleware = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    middleware.insert(middleware.index(AUTH_MIDDLEWARE), MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    (error,) = middleware_installed(None)
    assert error.id == "portal2fa.E005" and "comes before" in error.msg
    assert 'MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth' in error.hint
    with pytest.raises(SystemCheckError, match="portal2fa.E005"):
        call_command("check")


def test_a_missing_middleware_is_named(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    (error,) = middleware_installed(None)
    assert "is not in MIDDLEWARE" in error.msg


def test_doctor_prints_what_it_found_and_each_error_with_its_fix(host, capsys):
    host(LOGIN, CATCH_ALL, LIBRARY)
    with pytest.raises(CommandError):  # exit status 1: a problem found
        call_command("portal2fa", "doctor")
    out = capsys.readouterr().out
    assert "/signin/verify/ -> tests.unit.test_integration_checks.cms_page" in out
    assert "'/accounts/login/' -> /accounts/login/ -> tests.unit.test_integration_checks" in out
    assert "portal2fa.E012 (error):" in out and f"fix: Put the include first: {INCLUDE_LINE}" in out
    assert "1 error(s), 0 warning(s)." in out


def test_doctor_on_a_sound_project(capsys):
    call_command("portal2fa", "doctor")
    out = capsys.readouterr().out
    assert "TwoFactorMiddleware at" in out and out.rstrip().endswith("No problems.")


@pytest.mark.parametrize(
    "name", ["PORTAL2FA_LOGIN_VIEWS", "PORTAL2FA_LOGOUT_VIEWS", "PORTAL2FA_HELD_PAGES_MAY_LOAD"]
)
@pytest.mark.parametrize("value", ["jsi18n", ["/"], [""], [3], None])
def test_what_a_held_session_may_reach_is_a_list_of_names_never_everything(settings, name, value):
    from portal2fa.twofactor.checks import held_views_named

    assert held_views_named(None) == []
    setattr(settings, name, value)
    assert ids(held_views_named(None)) == ["portal2fa.E014"]
    setattr(settings, name, ["/media/icons/", "javascript-catalog"])
    assert held_views_named(None) == []
