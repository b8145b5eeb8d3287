"""The user's personal two-factor page (SPEC §7): status, voluntary enrollment, regenerate codes."""

import re
from datetime import UTC
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import Authenticator, EnrollmentState
from portal2fa.twofactor.services.codes import CodeCheck, consume_backup_code

from .helpers import backup_codes, current_code, manual_key, text, wrong_code

LOW = "You are running low on backup codes."
NONE_LEFT = "You have no backup codes left."


def _remaining(response) -> int:
    match = re.search(r'data-testid="codes-remaining"[^>]*>(\d+)<', response.content.decode())
    assert match, "no backup codes count on the page"
    return int(match.group(1))


def _use_backup_codes(enrolled, count):
    authenticator = Authenticator.objects.get(user=enrolled.user)
    for code in enrolled.backup_codes[:count]:
        assert consume_backup_code(authenticator, code, at=timezone.now()) is CodeCheck.BACKUP


def _check(user, code) -> CodeCheck:
    return consume_backup_code(Authenticator.objects.get(user=user), code, at=timezone.now())


def test_page_requires_login(client, user):
    response = client.get(reverse("twofactor:account"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("twofactor:signin"))
    assert client.get(reverse("twofactor:account-enroll")).status_code == HTTPStatus.FOUND
    response = client.post(reverse("twofactor:account-regenerate"), {"code": "123456"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("twofactor:signin"))


def test_not_started_user_is_offered_enrollment(client, user, policy):
    client.force_login(user)
    page = text(client.get(reverse("twofactor:account")))
    assert re.search(r'data-testid="state"[^>]*>Not Started<', page)
    assert "Set up authenticator app" in page
    assert "Enrolled Date" not in page and "Backup codes remaining" not in page


def test_enrolled_user_sees_state_date_and_codes_remaining(client, enrolled):
    client.force_login(enrolled.user)
    response = client.get(reverse("twofactor:account"))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert re.search(r'data-testid="state"[^>]*>Enrolled<', page)
    confirmed = Authenticator.objects.get(user=enrolled.user).confirmed_at.astimezone(UTC)
    assert "Enrolled Date" in page and f"{confirmed:%Y-%m-%d %H:%M}" in page
    assert "Backup codes remaining" in page and _remaining(response) == 10
    assert LOW not in page and NONE_LEFT not in page
    assert "Set up authenticator app" not in page
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "used,warning,absent",
    [
        (7, None, (LOW, NONE_LEFT)),
        (8, LOW, (NONE_LEFT,)),
        (9, LOW, (NONE_LEFT,)),
        (10, NONE_LEFT, (LOW,)),
    ],
)
def test_backup_code_warnings(client, enrolled, used, warning, absent):
    _use_backup_codes(enrolled, used)
    client.force_login(enrolled.user)
    response = client.get(reverse("twofactor:account"))
    assert _remaining(response) == 10 - used
    page = text(response)
    if warning:
        assert warning in page
    for other in absent:
        assert other not in page


def test_voluntary_enrollment_from_the_page(client, make_user, make_role, policy):
    voluntary = make_user(role=make_role("Customers", requires_2fa=False))
    client.force_login(voluntary)
    page = client.post(reverse("twofactor:account-enroll"), {"start": "1"}, follow=True)
    assert page.status_code == HTTPStatus.OK
    assert "<svg" in page.content.decode()
    key = manual_key(page)
    response = client.post(
        reverse("twofactor:account-enroll"), {"code": current_code(key)}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    codes = backup_codes(response)
    assert len(codes) == policy.backup_codes_per_set
    assert "no-store" in response["Cache-Control"]
    assert Authenticator.objects.get(user=voluntary).state == EnrollmentState.ENROLLED
    assert _check(voluntary, codes[0]) is CodeCheck.BACKUP
    # Enrolled now: the page says so, and the enroll page sends the user back.
    assert re.search(
        r'data-testid="state"[^>]*>Enrolled<', text(client.get(reverse("twofactor:account")))
    )
    client.post(reverse("twofactor:account-codes"))  # "I have saved my codes" (issue 8)
    response = client.get(reverse("twofactor:account-enroll"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("twofactor:account")
    assert "Your authenticator app is already set up." in text(response)


def test_voluntary_enrollment_with_wrong_code_stays_pending(client, make_user, make_role, policy):
    voluntary = make_user(role=make_role("Customers", requires_2fa=False))
    client.force_login(voluntary)
    key = manual_key(client.post(reverse("twofactor:account-enroll"), {"start": "1"}, follow=True))
    response = client.post(reverse("twofactor:account-enroll"), {"code": wrong_code(key)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code." in text(response)
    assert manual_key(response) == key
    assert Authenticator.objects.get(user=voluntary).state == EnrollmentState.PENDING


def test_regenerate_with_wrong_code_keeps_old_codes(client, enrolled):
    client.force_login(enrolled.user)
    response = client.post(
        reverse("twofactor:account-regenerate"), {"code": wrong_code(enrolled.secret)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code." in text(response)
    assert "Generate new backup codes?" in text(response)  # the error is in the dialog
    assert _check(enrolled.user, enrolled.backup_codes[0]) is CodeCheck.BACKUP
    assert _check(enrolled.user, enrolled.backup_codes[-1]) is CodeCheck.BACKUP


def test_regenerate_with_a_backup_code_is_refused(client, enrolled):
    client.force_login(enrolled.user)
    response = client.post(
        reverse("twofactor:account-regenerate"), {"code": enrolled.backup_codes[0]}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter the 6-digit code from your authenticator app." in text(response)
    assert _check(enrolled.user, enrolled.backup_codes[0]) is CodeCheck.BACKUP


def test_regenerate_with_current_code_replaces_the_set(client, enrolled):
    _use_backup_codes(enrolled, 9)
    client.force_login(enrolled.user)
    response = client.post(
        reverse("twofactor:account-regenerate"),
        {"code": enrolled.code(timezone.now())},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert "New backup codes were generated. Your old codes no longer work." in text(response)
    assert "no-store" in response["Cache-Control"]
    new_codes = backup_codes(response)
    assert len(new_codes) == 10
    assert not {c.replace("-", "") for c in new_codes} & set(enrolled.backup_codes)
    assert _check(enrolled.user, enrolled.backup_codes[-1]) is CodeCheck.INVALID  # old, unused
    assert _check(enrolled.user, new_codes[0]) is CodeCheck.BACKUP
    assert _remaining(client.get(reverse("twofactor:account"))) == 9


def test_regenerate_code_cannot_be_replayed(client, enrolled):
    client.force_login(enrolled.user)
    code = enrolled.code(timezone.now())
    url = reverse("twofactor:account-regenerate")
    assert client.post(url, {"code": code}).status_code == HTTPStatus.SEE_OTHER
    client.post(reverse("twofactor:account-codes"))  # "I have saved my codes"
    response = client.post(url, {"code": code})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This code was already used." in text(response)


def test_regenerate_before_enrolling_is_refused(client, user, policy):
    client.force_login(user)
    response = client.post(reverse("twofactor:account-regenerate"), {"code": "123456"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Set up your authenticator app first." in text(response)
    assert not Authenticator.objects.filter(user=user).exists()


def test_opening_the_enrollment_page_does_not_start_an_enrollment(client, user):
    """A GET (e.g. a link on another site) must not change state; starting takes a POST."""
    from portal2fa.twofactor.models import Authenticator

    client.force_login(user)
    response = client.get(reverse("twofactor:account-enroll"))
    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=user).exists()
    client.post(reverse("twofactor:account-enroll"), {"start": "1"})
    assert Authenticator.objects.filter(user=user, confirmed_at=None).exists()
