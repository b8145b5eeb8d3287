"""The Settings tab's Methods: site switches and the methods each Security Role counts."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from portal2fa.accounts.models import RoleType, SecurityRole
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import TwoFactorSettings

from .helpers import text
from .test_settings_tab import LABELS, form_data

URL = "twofactor:setup-settings"


@pytest.fixture
def staff(make_role):
    return make_role("Staff", RoleType.EMPLOYEE, requires_2fa=True)


def test_methods_section_shows_switches_and_a_row_per_role(admin_client, policy, staff, admin_role):
    page = text(admin_client.get(reverse(URL)))
    labels = ["Methods", "Authenticator App", "Email code", "Passkey / security key", "SMS code"]
    for label in [*LABELS, *labels]:
        assert label in page, label
    for name in ("email_codes_allowed", "passkeys_allowed", "sms_codes_allowed"):
        assert f'name="{name}"' in page
    email_boxes = re.findall(r'<input type="checkbox" name="roles_allowing_email"[^>]*>', page)
    assert len(email_boxes) == SecurityRole.objects.count()
    admin_box = next(b for b in email_boxes if f'value="{admin_role.pk}"' in b)
    assert "checked" not in admin_box  # the demo's Administrator: no email codes
    staff_box = next(b for b in email_boxes if f'value="{staff.pk}"' in b)
    assert "checked" in staff_box


def test_saving_methods_is_audited_old_and_new(admin_client, admin_user, policy, staff, admin_role):
    data = form_data(
        email_codes_allowed="on",
        methods_shown="1",
        roles_allowing_email=[str(admin_role.pk)],
        roles_allowing_passkey=[str(staff.pk), str(admin_role.pk)],
    )
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.FOUND
    assert TwoFactorSettings.objects.get().email_codes_allowed is True
    staff.refresh_from_db()
    admin_role.refresh_from_db()
    assert staff.second_factor_methods == ["passkey"]
    assert admin_role.second_factor_methods == ["email", "passkey"]
    changes = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED).detail["changes"]
    assert changes == {
        "email_codes_allowed": [False, True],
        "role-methods:Staff": ["email,passkey,sms", "passkey"],
        "role-methods:Administrator": ["passkey", "email,passkey"],
    }


def test_a_post_without_the_methods_table_leaves_role_methods_alone(admin_client, policy, staff):
    response = admin_client.post(reverse(URL), form_data(max_invalid_attempts="4"))
    assert response.status_code == HTTPStatus.FOUND
    staff.refresh_from_db()
    assert staff.second_factor_methods == ["email", "passkey", "sms"]


def test_junk_role_ids_in_methods_are_a_400(admin_client, policy, staff):
    data = form_data(methods_shown="1", roles_allowing_email=["x'; drop"])
    response = admin_client.post(reverse(URL), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Select valid Security Roles." in text(response)
