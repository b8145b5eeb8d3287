"""The demo's language switcher (POST /language/): Django's set_language (the cookie, back to
`next`) and, for a signed-in user, their stored choice; only codes of LANGUAGES are stored."""

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from ..languages import translation_on

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def languages(settings):
    translation_on(settings, middleware=True)


def choose(client, language: str, next_url: str = "/"):
    return client.post("/language/", {"language": language, "next": next_url})


def test_a_signed_in_choice_is_stored_on_the_user_and_in_the_cookie(client, user):
    client.force_login(user)
    response = choose(client, "de", "/account/two-factor/")
    assert response.status_code == 302 and response.url == "/account/two-factor/"
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "de"
    user.refresh_from_db()
    assert user.language == "de"
    page = client.get("/")
    assert '<html lang="de" dir="ltr">' in page.content.decode()


def test_a_language_outside_languages_is_not_stored(client, user):
    client.force_login(user)
    assert choose(client, "fr").status_code == 302  # not in the test's LANGUAGES
    assert choose(client, "xx-nonsense").status_code == 302
    user.refresh_from_db()
    assert user.language == ""


def test_signed_out_the_cookie_alone_changes_and_the_page_follows(client):
    response = choose(client, "ar", "/signin/")
    assert response.status_code == 302
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get("/signin/").content.decode()


def test_another_sites_next_is_not_followed_and_get_is_refused(client, user):
    client.force_login(user)
    assert choose(client, "de", "https://evil.example/").url == "/"
    assert client.get("/language/").status_code == 405


def test_the_home_page_offers_the_switcher(client, user):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert 'action="/language/"' in page
    arabic = translation.get_language_info("ar")["name_local"]  # each language in itself
    assert f'<option value="ar" lang="ar">{arabic}</option>' in page
