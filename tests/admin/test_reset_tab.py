"""The Reset Enrollment tab: the page, the no-JS confirmation flow, bad input and user search."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Authenticator, BackupCode
from portal2fa.twofactor.services.enrollment import enrollment_begin
from tests.conftest import PASSWORD

from .helpers import button_disabled, messages_of, reset_button, text

URL = "twofactor:setup-reset"
HINT = (
    "Remove a user's authenticator app enrollment and backup codes. "
    "Use this when a user loses access to their authenticator app."
)
DIALOG_TITLE = "Reset User Enrollment?"
DIALOG_MESSAGE = (
    "This will remove the user's authenticator app enrollment and all backup codes. "
    "The user will need to enroll again."
)


def state_of_the_world():
    return (
        sorted(
            Authenticator.objects.values_list("user_id", "confirmed_at", "backup_codes_remaining")
        ),
        BackupCode.objects.count(),
        AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).count(),
        len(mail.outbox),
    )


def test_page_without_a_selection(admin_client):
    response = admin_client.get(reverse(URL))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert '<h2 id="reset-heading">Reset User Enrollment</h2>' in page
    assert f'<p class="hint">{HINT}</p>' in page
    assert '<label for="user-field">User</label>' in page
    assert '<input id="user-field"' in page
    assert button_disabled(reset_button(response))
    # The dialog the script opens carries the documented title and message.
    assert DIALOG_TITLE in page and DIALOG_MESSAGE in page


@pytest.mark.parametrize("state", ["Enrolled", "Pending"])
def test_selecting_a_user_with_an_enrollment_enables_reset(
    admin_client, user, enroll, policy, state
):
    if state == "Enrolled":
        enroll(user)
    else:
        enrollment_begin(user=user, at=timezone.now())
    response = admin_client.get(reverse(URL), {"user": user.pk})
    page = text(response)
    assert "Alice Example" in page and "alice@example.com" in page
    assert f'State: <span data-role="state">{state}</span>' in page
    assert not button_disabled(reset_button(response))
    assert f'name="user" value="{user.pk}"' in page


def test_a_not_started_user_has_nothing_to_reset(admin_client, user):
    response = admin_client.get(reverse(URL), {"user": user.pk})
    page = text(response)
    assert "Alice Example has not enrolled: there is nothing to reset." in page
    assert button_disabled(reset_button(response))


def test_posting_a_not_started_user_changes_nothing(admin_client, user, enrolled, make_user):
    idle = make_user("idle@example.com", name="Ida Idle")
    before = state_of_the_world()
    response = admin_client.post(reverse(URL), {"user": idle.pk, "confirmed": "on"}, follow=True)
    assert "Ida Idle has not enrolled: there is nothing to reset." in messages_of(response)
    assert state_of_the_world() == before


def test_no_js_flow_confirms_then_resets(
    admin_client, admin_user, enrolled, django_capture_on_commit_callbacks
):
    user = enrolled.user
    authenticator = Authenticator.objects.get(user=user)
    assert BackupCode.objects.filter(authenticator=authenticator).count() == 10
    before = state_of_the_world()

    confirm = admin_client.post(reverse(URL), {"user": user.pk, "reason": "lost phone"})
    assert confirm.status_code == HTTPStatus.OK
    page = text(confirm)
    assert DIALOG_TITLE in page and DIALOG_MESSAGE in page
    assert "Alice Example" in page and 'name="confirmed" value="on"' in page
    assert 'name="reason" value="lost phone"' in page
    assert state_of_the_world() == before  # the confirmation step changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(URL), {"user": user.pk, "reason": "lost phone", "confirmed": "on"}
        )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(URL)
    assert (
        "Two-factor enrollment for Alice Example <alice@example.com> has been reset."
        in messages_of(admin_client.get(response.url))
    )
    assert not Authenticator.objects.filter(user=user).exists()
    assert not BackupCode.objects.filter(authenticator_id=authenticator.pk).exists()

    event = AuditEvent.objects.get(action=Action.ENROLLMENT_RESET)
    assert (event.actor, event.target) == (admin_user, user)
    assert event.client_address == "127.0.0.1"
    assert event.detail["reason"] == "lost phone"
    assert event.detail["previous_state"] == "Enrolled"

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["alice@example.com"]
    assert "reset" in notice.subject.lower()
    assert enrolled.secret not in notice.body
    assert not any(code in notice.body for code in enrolled.backup_codes)


def test_a_reset_user_is_led_through_fresh_enrollment(admin_client, enrolled):
    admin_client.post(reverse(URL), {"user": enrolled.user.pk, "confirmed": "on"})
    browser = Client()
    response = browser.post(
        reverse("twofactor:signin"), {"email": enrolled.user.email, "password": PASSWORD}
    )
    assert response.url == reverse("twofactor:signin-enroll")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"user": "abc", "confirmed": "on"}, "Select a user first."),
        ({"user": "999999", "confirmed": "on"}, "Select a user first."),
        ({"user": "-1", "confirmed": "on"}, "Select a user first."),
        ({"confirmed": "on"}, "Select a user first."),
        ({"user": "9" * 10240, "confirmed": "on"}, "Select a user first."),
        ({"user": "²", "confirmed": "on"}, "Select a user first."),
    ],
)
def test_bad_user_input_gives_a_message_and_changes_nothing(admin_client, enrolled, data, message):
    before = state_of_the_world()
    response = admin_client.post(reverse(URL), data, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert message in messages_of(response)
    assert state_of_the_world() == before


@pytest.mark.parametrize("value", ["abc", "²", "9" * 10240, "99999999999999999999", "1 OR 1=1"])
def test_a_bad_user_parameter_on_get_selects_nobody(admin_client, enrolled, value):
    response = admin_client.get(reverse(URL), {"user": value})
    assert response.status_code == HTTPStatus.OK
    assert "No user selected." in text(response)
    assert button_disabled(reset_button(response))


@pytest.mark.parametrize("confirmed", ["", "on"])
def test_a_10_kb_reason_gives_a_clear_message_and_changes_nothing(
    admin_client, enrolled, confirmed
):
    before = state_of_the_world()
    data = {"user": enrolled.user.pk, "reason": "x" * 10240, "confirmed": confirmed}
    response = admin_client.post(reverse(URL), data, follow=True)
    assert response.status_code == HTTPStatus.OK
    shown = " ".join(messages_of(response))
    assert "reason" in shown.lower() and "500 characters" in shown
    assert "Select a user first." not in shown  # a user *was* selected
    assert state_of_the_world() == before


# --- the User field's search endpoint -------------------------------------------------------


@pytest.fixture
def people(policy, user, enroll, make_user):
    enroll(user)
    make_user("bob@builders.org", name="Bob Builder")
    make_user("alina@example.com", name="Alina Gone", active=False)


def search(client, q):
    response = client.get(reverse("twofactor:setup-user-search"), {"q": q})
    assert response.status_code == HTTPStatus.OK
    return response.json()["results"]


@pytest.mark.parametrize("q", ["", "a", " a ", "A"])
def test_search_needs_two_characters(admin_client, people, q):
    assert search(admin_client, q) == []


def test_search_matches_name_or_email_parts_case_insensitively(admin_client, people, user):
    assert search(admin_client, "ALI") == [
        {
            "id": user.pk,
            "name": "Alice Example",
            "email": "alice@example.com",
            "state": "Enrolled",
            "resettable": True,
        }
    ]  # Alina is inactive: not offered
    assert [r["name"] for r in search(admin_client, "buiLD")] == ["Bob Builder"]
    assert [r["email"] for r in search(admin_client, "BUILDERS.org")] == ["bob@builders.org"]
    assert [(r["state"], r["resettable"]) for r in search(admin_client, "bob@")] == [
        ("Not Started", False)
    ]
    assert [r["name"] for r in search(admin_client, "ICE ex")] == ["Alice Example"]
    assert [r["name"] for r in search(admin_client, "LICE@")] == ["Alice Example"]
    assert search(admin_client, "zzz") == []


def test_search_answers_carry_no_secrets(admin_client, people):
    for row in search(admin_client, "example"):
        assert set(row) == {"id", "name", "email", "state", "resettable"}
