"""The Settings tab: every setting on it, validation, audit, and effect on the next sign-in."""

import re
from http import HTTPStatus

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType, SecurityRole
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import TwoFactorSettings
from tests.conftest import PASSWORD
from tests.reference_totp import totp

from .helpers import checkbox, field_errors, messages_of, plain, role_card, text, wrong_code

URL = "twofactor:setup-settings"
LOCKED = "Too many invalid attempts. Start a new sign-in."
LABELS = [
    "Enable Two-Factor Authentication",
    "Authenticator Enrollment",
    "Maximum Invalid Attempts",
    "Clock skew tolerance",
    "Backup codes per set",
    "Low backup codes threshold",
    "Issuer name",
    "Require 2FA",
]


@pytest.fixture
def roles(make_role):
    return {
        "staff": make_role("Staff", RoleType.EMPLOYEE, requires_2fa=True),
        "partners": make_role("Partners", RoleType.PARTNER, requires_2fa=False),
    }


def form_data(**overrides) -> dict:
    """The current settings as the form would post them, with `overrides`."""
    policy = TwoFactorSettings.objects.get(pk=1)
    data = {
        "enabled": "on" if policy.enabled else "",
        "enrollment_required": "required" if policy.enrollment_required else "optional",
        "max_invalid_attempts": str(policy.max_invalid_attempts),
        "clock_skew_steps": str(policy.clock_skew_steps),
        "backup_codes_per_set": str(policy.backup_codes_per_set),
        "low_codes_threshold": str(policy.low_codes_threshold),
        "issuer_name": policy.issuer_name,
        "roles_requiring_2fa": [
            str(pk)
            for pk in SecurityRole.objects.filter(requires_2fa=True).values_list("pk", flat=True)
        ],
    }
    data.update(overrides)
    if not data["enabled"]:
        del data["enabled"]
    return data


def snapshot():
    return (
        model_to_dict(TwoFactorSettings.objects.get(pk=1)),
        sorted(SecurityRole.objects.values_list("name", "requires_2fa")),
        AuditEvent.objects.count(),
    )


def test_get_shows_every_setting_and_a_checkbox_per_role(admin_client, policy, roles, admin_role):
    response = admin_client.get(reverse(URL))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    for label in LABELS:
        assert label in page, label
    for choice in ("Required", "Optional"):
        assert re.search(
            rf'name="enrollment_required" value="{choice.lower()}"[^>]*> {choice}', page
        )
    for name in (
        "max_invalid_attempts",
        "clock_skew_steps",
        "backup_codes_per_set",
        "low_codes_threshold",
        "issuer_name",
    ):
        assert f'name="{name}"' in page
    assert 'name="max_invalid_attempts" value="5"' in page
    assert re.search(r'name="clock_skew_steps" value="3"', page)
    assert re.search(r'name="backup_codes_per_set" value="10"', page)
    assert re.search(r'name="low_codes_threshold" value="2"', page)
    cards = re.findall(r'data-testid="role-\d+"', page)  # one card per role, all of it there
    assert len(cards) == SecurityRole.objects.count() == 3
    for role in (admin_role, roles["staff"], roles["partners"]):
        card = role_card(page, role)
        box = checkbox(card, "roles_requiring_2fa")
        assert f'value="{role.pk}"' in box
        assert (" checked" in box) is role.requires_2fa
        assert f"{role.name} {role.type}" in plain(card)
        assert f"Require 2FA for {role.name}" in plain(card)  # the checkbox's accessible name


def test_valid_post_saves_redirects_and_audits_old_and_new(admin_client, admin_user, policy, roles):
    data = form_data(
        max_invalid_attempts="3", issuer_name="Acme Portal", enrollment_required="optional"
    )
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(URL)
    saved = TwoFactorSettings.objects.get(pk=1)
    assert (saved.max_invalid_attempts, saved.issuer_name, saved.enrollment_required) == (
        3,
        "Acme Portal",
        False,
    )
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.actor == admin_user
    assert event.client_address == "127.0.0.1"
    assert event.detail["changes"] == {
        "max_invalid_attempts": [5, 3],
        "issuer_name": ["", "Acme Portal"],
        "enrollment_required": [True, False],
    }
    assert "Settings saved." in messages_of(admin_client.get(reverse(URL)))


def test_posting_the_same_values_changes_nothing_and_audits_nothing(admin_client, policy, roles):
    response = admin_client.post(reverse(URL), form_data(), follow=True)
    assert "No changes to save." in messages_of(response)
    assert not AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_invalid_attempts", "0", "Ensure this value is greater than or equal to 1."),
        ("max_invalid_attempts", "11", "Ensure this value is less than or equal to 10."),
        ("clock_skew_steps", "6", "Ensure this value is less than or equal to 5."),
        ("clock_skew_steps", "-1", "Ensure this value is greater than or equal to 0."),
        ("backup_codes_per_set", "4", "Ensure this value is greater than or equal to 5."),
        ("backup_codes_per_set", "21", "Ensure this value is less than or equal to 20."),
        ("low_codes_threshold", "10", "Must be lower than the number of backup codes per set."),
        ("low_codes_threshold", "0", "Ensure this value is greater than or equal to 1."),
        ("issuer_name", "Acme:Evil", "Use printable characters without a colon (':')."),
    ],
)
def test_out_of_range_values_are_refused_on_the_field(
    admin_client, policy, roles, field, value, message
):
    before = snapshot()
    # Also ask for a role change: an invalid form must not apply any part of the post.
    data = form_data(**{field: value}, roles_requiring_2fa=[str(roles["partners"].pk)])
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in field_errors(response, field)
    assert snapshot() == before


def test_threshold_equal_to_a_lowered_set_size_is_refused(admin_client, policy, roles):
    before = snapshot()
    response = admin_client.post(
        reverse(URL), form_data(backup_codes_per_set="5", low_codes_threshold="5")
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Must be lower than the number of backup codes per set." in field_errors(
        response, "low_codes_threshold"
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_invalid_attempts", "five", "Enter a whole number."),
        ("clock_skew_steps", "1.5", "Enter a whole number."),
        ("backup_codes_per_set", "1e3", "Enter a whole number."),
        ("max_invalid_attempts", "9" * 10240, "Enter a whole number."),
        ("low_codes_threshold", "1" * 10240, "Enter a whole number."),
        ("issuer_name", "x" * 10240, "Ensure this value has at most 64 characters"),
        ("enrollment_required", "r" * 10240, "Select a valid choice."),
        ("roles_requiring_2fa", ["x" * 10240], "Select valid Security Roles."),
        ("roles_requiring_2fa", ["999999"], "Select a valid choice. 999999 is not one of"),
    ],
)
def test_garbage_is_a_400_with_a_message_not_a_500(
    admin_client, policy, roles, field, value, message
):
    before = snapshot()
    response = admin_client.post(reverse(URL), form_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = re.findall(r'<p class="error" role="alert"[^>]*>(.*?)</p>', text(response))
    assert any(message in error for error in errors), errors
    assert snapshot() == before


def test_role_checkboxes_change_requires_2fa_and_are_audited(admin_client, policy, roles):
    staff, partners = roles["staff"], roles["partners"]
    response = admin_client.post(reverse(URL), form_data(roles_requiring_2fa=[str(partners.pk)]))
    assert response.status_code == HTTPStatus.FOUND
    staff.refresh_from_db()
    partners.refresh_from_db()
    assert (staff.requires_2fa, partners.requires_2fa) == (False, True)
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"] == {
        "role:Partners": ["not required", "required"],
        "role:Staff": ["required", "not required"],
    }


# --- Maximum Invalid Attempts applies from the next sign-in ------------------------------


def _start_sign_in(email) -> Client:
    browser = Client()
    response = browser.post(reverse("twofactor:signin"), {"email": email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("twofactor:signin-verify")
    return browser


def _enter(browser, code):
    return browser.post(reverse("twofactor:signin-verify"), {"code": code})


def test_lowering_maximum_invalid_attempts_applies_to_the_next_sign_in(
    admin_client, enrolled, roles
):
    response = admin_client.post(reverse(URL), form_data(max_invalid_attempts="2"))
    assert response.status_code == HTTPStatus.FOUND
    browser = _start_sign_in(enrolled.user.email)
    bad = wrong_code(enrolled.secret)
    assert "Invalid code. 1 attempt remaining." in text(_enter(browser, bad))
    assert LOCKED in text(_enter(browser, bad))
    # Locked: even the right code is refused on this token.
    refused = _enter(browser, totp(enrolled.secret, timezone.now().timestamp()))
    assert refused.status_code != HTTPStatus.FOUND and LOCKED in text(refused)


def test_a_token_issued_before_the_change_keeps_its_limit(admin_client, enrolled, roles):
    browser = _start_sign_in(enrolled.user.email)  # issued under the default of 5
    assert (
        admin_client.post(reverse(URL), form_data(max_invalid_attempts="2")).status_code
        == HTTPStatus.FOUND
    )
    bad = wrong_code(enrolled.secret)
    _enter(browser, bad)
    second = text(_enter(browser, bad))
    assert LOCKED not in second
    assert "Invalid code. 3 attempts remaining." in second
    response = _enter(browser, totp(enrolled.secret, timezone.now().timestamp()))
    assert response.status_code == HTTPStatus.FOUND


def test_a_role_created_after_the_form_was_loaded_keeps_its_requirement(
    admin_client, policy, make_role
):
    """A stale Settings form must not switch off 2FA for a role it never showed."""
    make_role("Staff", requires_2fa=True)
    page = admin_client.get(reverse("twofactor:setup-settings")).content.decode()
    shown = re.search(r'name="roles_shown" value="([0-9,]+)"', page).group(1)
    newcomer = make_role("Contractors", requires_2fa=True)  # created while the form is open
    form = form_data(roles_shown=shown, roles_requiring_2fa=[])
    response = admin_client.post(reverse("twofactor:setup-settings"), form)
    assert response.status_code == HTTPStatus.FOUND
    assert SecurityRole.objects.get(pk=newcomer.pk).requires_2fa is True
    assert SecurityRole.objects.get(name="Staff").requires_2fa is False


@pytest.mark.parametrize("junk", ["99999999999999999999999", "²", "-1", "abc"])
def test_junk_role_ids_are_a_message_not_a_500(admin_client, policy, junk):
    form = form_data(roles_requiring_2fa=[junk])
    response = admin_client.post(reverse("twofactor:setup-settings"), form)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "Select valid Security Roles." in response.content.decode()
        or "valid choice" in response.content.decode()
    )


@pytest.mark.parametrize("required,checked", [(True, "required"), (False, "optional")])
def test_the_form_shows_the_current_enrollment_choice(admin_client, required, checked):
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enrollment_required": required})
    page = admin_client.get(reverse("twofactor:setup-settings")).content.decode()
    radios = re.findall(r'<input type="radio" name="enrollment_required" value="(\w+)"[^>]*>', page)
    assert sorted(radios) == ["optional", "required"]
    checked_values = re.findall(
        r'<input type="radio" name="enrollment_required" value="(\w+)"[^>]*\bchecked\b', page
    )
    assert checked_values == [checked]


def test_saving_the_form_unchanged_changes_nothing(admin_client, admin_role):
    """What a browser posts back from an untouched form is valid and changes nothing."""
    page = admin_client.get(reverse("twofactor:setup-settings")).content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]+>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        kind = re.search(r'type="(\w+)"', tag).group(1)
        if kind in ("checkbox", "radio") and "checked" not in tag:
            continue
        default = "on" if kind == "checkbox" else ""
        data.setdefault(name.group(1), []).append(value.group(1) if value else default)
    before = AuditEvent.objects.count()
    response = admin_client.post(reverse("twofactor:setup-settings"), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert AuditEvent.objects.count() == before
