"""The language follows Django's rules: LocaleMiddleware reads Accept-Language and says which
language the page is in."""

import subprocess

import pytest


@pytest.mark.django_db
def test_sign_in_page_answers_in_the_language_the_browser_asks_for(client):
    response = client.get("/signin/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Language"] == "de"


@pytest.mark.django_db
def test_a_language_not_offered_falls_back_to_english(client):
    response = client.get("/signin/", HTTP_ACCEPT_LANGUAGE="tlh")

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


CATALOGUE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Sign in"
msgstr "Anmelden"

msgid "The email or password is incorrect."
msgstr "E-Mail oder Passwort ist falsch."
"""


@pytest.fixture
def german_catalogue(settings, tmp_path):
    """A host's own catalogue (LOCALE_PATHS) for two texts, compiled with GNU gettext's msgfmt."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(CATALOGUE, encoding="utf-8")
    subprocess.run(
        ["msgfmt", "--check-format", "-o", folder / "django.mo", folder / "django.po"], check=True
    )
    settings.LOCALE_PATHS = [str(tmp_path)]


@pytest.mark.django_db
def test_a_catalogue_translates_the_marked_page_and_message_texts(client, german_catalogue):
    page = client.get("/signin/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    refused = client.post(
        "/signin/",
        {"email": "nobody@example.com", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()

    assert "<h1>Anmelden</h1>" in page and "<h1>Sign in</h1>" not in page
    assert "E-Mail oder Passwort ist falsch." in refused


@pytest.mark.django_db
def test_english_stays_english_beside_a_catalogue(client, german_catalogue):
    page = client.get("/signin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<h1>Sign in</h1>" in page
