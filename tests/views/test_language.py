"""The language follows Django's rules: LocaleMiddleware reads Accept-Language and says which
language the page is in."""

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
