"""The CSRF secret changes at the password step (a cookie planted before sign-in is worthless
afterwards) and then stays, so a second click of the form that passed the factor is no forgery."""

import re
import time
from http import HTTPStatus

from django.test import Client

from tests.conftest import PASSWORD
from tests.reference_totp import totp


def _token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_a_form_from_before_the_sign_in_is_refused_after_it(enrolled):
    client = Client(enforce_csrf_checks=True)
    planted = _token(client.get("/signin/"))
    credentials = {"email": enrolled.user.email, "password": PASSWORD}
    response = client.post("/signin/", {**credentials, "csrfmiddlewaretoken": planted})
    assert response.status_code == HTTPStatus.FOUND
    verify_token = _token(client.get("/signin/verify/"))
    code = {"code": totp(enrolled.secret, time.time()), "csrfmiddlewaretoken": verify_token}
    assert client.post("/signin/verify/", code).status_code == HTTPStatus.FOUND
    stale = client.post("/signin/", {**credentials, "csrfmiddlewaretoken": planted})
    assert stale.status_code == HTTPStatus.FORBIDDEN
    again = client.post("/signin/verify/", code)  # the same form, submitted twice
    assert again.status_code == HTTPStatus.FOUND and again.url == "/"
