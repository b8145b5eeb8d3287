"""Show-once backup codes that cannot be lost.

After an enrollment or a regeneration the new set is kept, encrypted, for the session that got it
and shown by GET until "I have saved my codes" or 15 minutes; a double submit, a reload, the back
button or a lost response (a resubmit that still carries the pre-rotation session id) all show
the same codes.
"""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.machinery.code_checks import CodeCheck, consume_backup_code
from portal2fa.twofactor.models import Authenticator
from portal2fa.twofactor.web.shown_codes import CODES_KEY

from .helpers import backup_codes, current_code, is_signed_in, manual_key, sign_in, text

CODES = reverse("twofactor:account-codes")


def _csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf(client) -> str:
    return client.cookies["csrftoken"].value


def _post(client, url, data=None, **extra):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": _csrf(client)}, **extra)


def _check(user, code) -> CodeCheck:
    return consume_backup_code(Authenticator.objects.get(user=user), code, at=timezone.now())


def _start_signin_enrollment(client, user) -> str:
    client.get(reverse("twofactor:signin"))  # the form sets the CSRF cookie
    response = _post(client, reverse("twofactor:signin"), {"email": user.email, "password": _pw()})
    assert response.url == reverse("twofactor:signin-enroll")
    return manual_key(client.get(reverse("twofactor:signin-enroll")))


def _pw():
    from tests.conftest import PASSWORD

    return PASSWORD


# --- the personal page: regenerate ----------------------------------------------------------------


def test_regenerate_redirects_to_the_codes_page_and_a_reload_shows_the_same_codes(client, enrolled):
    client.force_login(enrolled.user)
    response = client.post(
        reverse("twofactor:account-regenerate"), {"code": enrolled.code(timezone.now())}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.url == CODES
    first = client.get(CODES)
    assert first.status_code == HTTPStatus.OK
    assert "no-store" in first["Cache-Control"]
    again = client.get(CODES)  # a reload, or the back button
    assert backup_codes(first) == backup_codes(again) and len(backup_codes(first)) == 10


def test_a_second_click_on_generate_shows_the_same_codes_and_they_work(client, enrolled):
    client.force_login(enrolled.user)
    code = enrolled.code(timezone.now())
    url = reverse("twofactor:account-regenerate")
    first = client.post(url, {"code": code}, follow=True)
    second = client.post(url, {"code": code}, follow=True)  # the now-used code, again
    assert second.status_code == HTTPStatus.OK
    assert backup_codes(second) == backup_codes(first)
    assert "This code was already used." not in text(second)
    assert _check(enrolled.user, backup_codes(second)[0]) is CodeCheck.BACKUP


def test_saving_destroys_the_codes_and_the_page_then_shows_none(client, enrolled):
    client.force_login(enrolled.user)
    client.post(reverse("twofactor:account-regenerate"), {"code": enrolled.code(timezone.now())})
    response = client.post(CODES)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.url == reverse("twofactor:account")
    assert CODES_KEY not in client.session
    page = client.get(CODES, follow=True)
    assert page.redirect_chain[-1][0] == reverse("twofactor:account")
    assert "There are no new backup codes to show" in text(page)
    assert 'data-testid="backup-codes"' not in page.content.decode()


def test_the_codes_expire_after_15_minutes(client, enrolled):
    client.force_login(enrolled.user)
    client.post(reverse("twofactor:account-regenerate"), {"code": enrolled.code(timezone.now())})
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert client.get(CODES).status_code == HTTPStatus.OK
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1), tick=False):
        assert client.get(CODES).status_code == HTTPStatus.FOUND
        assert CODES_KEY not in client.session


def test_the_kept_codes_are_encrypted_in_the_session_store(client, enrolled):
    client.force_login(enrolled.user)
    codes = backup_codes(
        client.post(
            reverse("twofactor:account-regenerate"),
            {"code": enrolled.code(timezone.now())},
            follow=True,
        )
    )
    row = Session.objects.get(session_key=client.session.session_key)
    stored = str(row.session_data) + str(row.get_decoded())
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_the_codes_page_belongs_to_the_session_that_got_them(client, enrolled):
    client.force_login(enrolled.user)
    client.post(reverse("twofactor:account-regenerate"), {"code": enrolled.code(timezone.now())})
    other = Client()
    other.force_login(enrolled.user)  # the same user in another browser
    assert other.get(CODES).status_code == HTTPStatus.FOUND


def test_the_account_page_points_to_codes_not_yet_saved(client, enrolled):
    client.force_login(enrolled.user)
    client.post(reverse("twofactor:account-regenerate"), {"code": enrolled.code(timezone.now())})
    assert "Show my new backup codes" in text(client.get(reverse("twofactor:account")))


# --- the personal page: voluntary enrollment ------------------------------------------------------


def test_a_second_click_on_confirm_on_the_personal_page_shows_the_same_codes(
    client, make_user, make_role, policy
):
    voluntary = make_user(role=make_role("Customers", requires_2fa=False))
    client.force_login(voluntary)
    key = manual_key(client.post(reverse("twofactor:account-enroll"), {"start": "1"}, follow=True))
    data = {"code": current_code(key)}
    first = client.post(reverse("twofactor:account-enroll"), data, follow=True)
    second = client.post(reverse("twofactor:account-enroll"), data, follow=True)
    assert second.redirect_chain[-1][0] == CODES
    assert backup_codes(second) == backup_codes(first)


# --- sign-in enrollment ---------------------------------------------------------------------------


def test_signin_enrollment_redirects_to_the_codes_then_to_next(client, user, policy):
    sign_in(client, user.email, next_url="/account/two-factor/")
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    response = client.post(reverse("twofactor:signin-enroll"), {"code": current_code(key)})
    assert response.status_code == HTTPStatus.SEE_OTHER and response.url == CODES
    assert is_signed_in(client)
    codes = backup_codes(client.get(CODES))
    assert backup_codes(client.get(CODES)) == codes
    response = client.post(CODES)
    assert response.url == "/account/two-factor/"


def test_a_second_click_on_confirm_during_signin_lands_on_the_same_codes(client, user, policy):
    """The second request carries the new session id (the first response arrived)."""
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    data = {"code": current_code(key)}
    first = client.post(reverse("twofactor:signin-enroll"), data, follow=True)
    second = client.post(reverse("twofactor:signin-enroll"), data, follow=True)
    assert second.redirect_chain[-1][0] == CODES
    assert backup_codes(second) == backup_codes(first)


def test_a_resubmit_after_a_lost_confirm_response_lands_on_the_same_codes(user, policy):
    """The second click was sent before the first response arrived: it carries the session id
    that the first one rotated away. It must reach the codes, signed in, not a sign-in page."""
    client = _csrf_client()
    key = _start_signin_enrollment(client, user)
    old_session = client.cookies["sessionid"].value
    data = {"code": current_code(key)}
    first = _post(client, reverse("twofactor:signin-enroll"), data, follow=True)
    codes = backup_codes(first)
    client.cookies["sessionid"] = old_session  # the first response never reached the browser
    second = _post(client, reverse("twofactor:signin-enroll"), data, follow=True)
    assert second.status_code == HTTPStatus.OK
    assert second.redirect_chain[-1][0] == CODES
    assert backup_codes(second) == codes
    assert client.cookies["sessionid"].value != old_session
    assert is_signed_in(client)


def test_a_resubmit_after_a_lost_verify_response_lands_signed_in(enrolled):
    client = _csrf_client()
    client.get(reverse("twofactor:signin"))
    _post(client, reverse("twofactor:signin"), {"email": enrolled.user.email, "password": _pw()})
    old_session = client.cookies["sessionid"].value
    data = {"code": enrolled.code(timezone.now())}
    assert _post(client, reverse("twofactor:signin-verify"), data).status_code == HTTPStatus.FOUND
    client.cookies["sessionid"] = old_session
    second = _post(client, reverse("twofactor:signin-verify"), data, follow=True)
    assert second.status_code == HTTPStatus.OK
    assert second.redirect_chain[-1][0] == "/"
    assert not re.search(r'name="password"', second.content.decode())
    assert is_signed_in(client)


def test_a_second_verify_submit_with_the_new_session_lands_signed_in(client, enrolled):
    sign_in(client, enrolled.user.email)
    data = {"code": enrolled.code(timezone.now())}
    client.post(reverse("twofactor:signin-verify"), data)
    second = client.post(reverse("twofactor:signin-verify"), data, follow=True)
    assert second.status_code == HTTPStatus.OK
    assert second.redirect_chain[-1][0] == "/"
    assert "This code was already used." not in text(second)


def test_a_stolen_pre_rotation_session_id_is_not_forwarded_to_another_browser(user, policy):
    client = _csrf_client()
    key = _start_signin_enrollment(client, user)
    old_session = client.cookies["sessionid"].value
    _post(client, reverse("twofactor:signin-enroll"), {"code": current_code(key)})
    thief = _csrf_client()
    thief.get(reverse("twofactor:signin"))  # a CSRF cookie of its own
    thief.cookies["sessionid"] = old_session
    response = thief.get(CODES)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("twofactor:signin"))
    assert not is_signed_in(thief)


@pytest.mark.parametrize("minutes", [16])
def test_the_forward_of_a_rotated_session_expires(user, policy, minutes):
    client = _csrf_client()
    key = _start_signin_enrollment(client, user)
    old_session = client.cookies["sessionid"].value
    _post(client, reverse("twofactor:signin-enroll"), {"code": current_code(key)})
    client.cookies["sessionid"] = old_session
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False):
        assert not is_signed_in(client)


def test_back_to_the_signin_pages_with_codes_not_yet_saved_shows_the_codes(client, user, policy):
    sign_in(client, user.email)
    key = manual_key(client.get(reverse("twofactor:signin-enroll")))
    client.post(reverse("twofactor:signin-enroll"), {"code": current_code(key)})
    for name in ("twofactor:signin", "twofactor:signin-enroll", "twofactor:signin-verify"):
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.SEE_OTHER and response.url == CODES, name
    client.post(CODES)
    assert client.get(reverse("twofactor:signin")).url == "/"
