"""A django CMS site, its page route catching every path: the README snippet puts Portal 2FA's
URLs before it, an editor's admin login is held, the CMS's pages wait for the second factor."""

from http import HTTPStatus
from importlib import import_module

from django.contrib.auth import SESSION_KEY
from django.urls import include, path

from portal2fa.twofactor.integration import urls_wired
from tests.hosts.common import enroll_through_pages

from .conftest import admin_login

VERIFY = "/signin/verify/"


def test_the_cms_page_route_answers_every_other_path(home_page, client):
    assert client.get("/").status_code == HTTPStatus.OK  # public: the home page
    assert b"CMS host" in client.get("/").content
    assert client.get("/no-such-page/").status_code == HTTPStatus.NOT_FOUND  # cms.views.details


def test_an_editors_admin_login_is_held_and_2fa_reached_before_the_page_route(
    client, policy, editor, home_page
):
    assert admin_login(client, "sam").url == "/admin/"
    for page in ["/admin/", "/admin/cms/pagecontent/", "/", "/any/page/"]:
        assert client.get(page).url == VERIFY, page
    assert client.get(VERIFY).url == "/signin/enroll/"  # the library's view, not the CMS's
    enroll_through_pages(client)
    assert client.get("/").status_code == HTTPStatus.OK
    assert client.get("/admin/cms/pagecontent/").status_code == HTTPStatus.OK  # the page tree


def test_the_admin_login_page_starts_a_new_sign_in(client, policy, editor):
    admin_login(client, "sam")
    assert client.get("/admin/login/").status_code == HTTPStatus.OK
    assert SESSION_KEY not in client.session


def test_the_admins_catalogue_loads_on_held_pages(client, policy, editor):
    admin_login(client, "sam")
    catalogue = client.get("/admin/jsi18n/", HTTP_ACCEPT="*/*")
    assert catalogue.status_code == HTTPStatus.OK


class AppendedUrls:
    """This site's urls.py with the include appended after the CMS's route, as the README's
    snippet used to say."""

    def __init__(self):
        own = import_module("cmshost.urls").urlpatterns[1:]
        self.urlpatterns = [*own, path("", include("portal2fa.urls"))]


def test_manage_py_check_catches_the_include_after_the_page_route(settings):
    assert urls_wired(None) == []  # as pasted: first
    settings.ROOT_URLCONF = AppendedUrls()
    (error,) = urls_wired(None)
    assert error.id == "portal2fa.E012"
    assert "/signin/verify/ resolves to cms.views.details" in error.msg


def test_manage_py_check_catches_the_default_login_url_the_page_route_answers(settings):
    settings.LOGIN_URL = "/accounts/login/"  # before the site set it as the check asked
    (error,) = urls_wired(None)
    assert error.id == "portal2fa.E013" and "cms.views.details" in error.msg
