"""The Settings, Overview and Reset Enrollment tabs, the Audit Log and the CLI in a stock host:
Groups as Security Roles, the permission twofactor.manage_two_factor, Django's own User."""

import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from portal2fa.twofactor.models import Authenticator, GroupRole

from .conftest import enroll_through_pages, host_login

SETUP = [
    "twofactor:setup-settings",
    "twofactor:setup-overview",
    "twofactor:setup-reset",
    "twofactor:audit-log",
]


@pytest.fixture
def enrolled_staff(client, policy, staff):
    host_login(client, "sam")
    enroll_through_pages(client)
    client.logout()
    return staff


@pytest.fixture
def admin_client(superuser):
    client = Client(headers={"Accept": "text/html"})  # apart from `client`, for users under test
    client.force_login(superuser)  # held, then let through: no role of root requires 2FA
    assert client.get("/").status_code == HTTPStatus.OK
    return client


@pytest.mark.parametrize("name", SETUP)
def test_setup_is_for_users_with_the_permission(client, make_user, manage_permission, name):
    make_user("plain")
    host_login(client, "plain")
    assert client.get(reverse(name)).status_code == HTTPStatus.FORBIDDEN
    holder = make_user("holder")
    holder.user_permissions.add(manage_permission)
    client.logout()
    host_login(client, "holder")
    assert client.get(reverse(name)).status_code == HTTPStatus.OK


def test_settings_tab_lists_groups_and_sets_their_requirement(admin_client, staff_group, db):
    readers = Group.objects.create(name="Readers")
    page = admin_client.get(reverse("twofactor:setup-settings")).content.decode()
    assert "Readers" in page and "Staff" in page
    form = {
        "enabled": "on",
        "enrollment_required": "required",
        "max_invalid_attempts": 5,
        "clock_skew_steps": 3,
        "backup_codes_per_set": 10,
        "low_codes_threshold": 2,
        "issuer_name": "",
        "roles_shown": f"{staff_group.pk},{readers.pk}",
        "roles_requiring_2fa": [str(readers.pk)],
    }
    response = admin_client.post(reverse("twofactor:setup-settings"), form)
    assert response.status_code == HTTPStatus.FOUND
    assert GroupRole.objects.get(group=readers).requires_2fa
    assert not GroupRole.objects.get(group=staff_group).requires_2fa


def test_overview_counts_and_lists_the_host_users(admin_client, enrolled_staff, make_user):
    make_user("idle")
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert data["status_breakdown"] == {"enrolled": 1, "pending": 0, "not_started": 2}
    assert data["recent_enrollments"][0]["name"] == "Sam Staff"
    assert data["recent_enrollments"][0]["email"] == "sam@example.org"
    assert [r["name"] for r in data["roles_without_2fa"]] == []
    page = admin_client.get(reverse("twofactor:setup-overview")).content.decode()
    assert "Sam Staff" in page and "sam@example.org" in page


def test_deactivating_a_host_user_leaves_the_counts(admin_client, enrolled_staff):
    enrolled_staff.is_active = False
    enrolled_staff.save()  # the host's own save: the library follows through its signal
    assert not Authenticator.objects.get(user=enrolled_staff).user_active
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert data["status_breakdown"]["enrolled"] == 0


def test_reset_tab_finds_and_resets_a_host_user(
    admin_client, enrolled_staff, django_capture_on_commit_callbacks
):
    found = admin_client.get(reverse("twofactor:setup-user-search"), {"q": "sam"}).json()
    assert [r["email"] for r in found["results"]] == ["sam@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("twofactor:setup-reset"), {"user": enrolled_staff.pk, "confirmed": "1"}
        )
    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=enrolled_staff).exists()
    assert mail.outbox and mail.outbox[-1].to == ["sam@example.org"]
    log = admin_client.get(reverse("twofactor:audit-log"), {"user": "sam"}).content.decode()
    assert "Enrollment reset" in log


def test_manage_py_portal2fa_in_the_host(enrolled_staff, capsys):
    call_command("portal2fa", "overview", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["enrollment_rate"]["enrolled"] == 1
    call_command("portal2fa", "role", "require-2fa", "staff", "false")
    assert "Staff does not require 2FA." in capsys.readouterr().out
    call_command("portal2fa", "user", "list", "--search", "sam")
    assert "sam@example.org" in capsys.readouterr().out
    call_command("portal2fa", "enrollment", "reset", "sam@example.org", "--yes")
    assert not Authenticator.objects.filter(user=enrolled_staff).exists()
    with pytest.raises(CommandError) as refused:
        call_command("portal2fa", "enrollment", "reset", "nobody@example.org", "--yes")
    assert refused.value.returncode == 2
    assert "no user with email or username 'nobody@example.org'" in capsys.readouterr().err


def test_the_django_admin_shows_the_security_role_beside_the_group(admin_client, staff_group):
    """Walkthrough finding: the README said GroupRole was in the Django admin; it was not. The Type
    is edited there; the 2FA requirement only on the Settings tab (audited), shown read-only."""
    url = reverse("admin:auth_group_change", args=[staff_group.pk])
    page = admin_client.get(url).content.decode()
    assert "Security Role (Portal 2FA)" in page and 'name="portal2fa_role-0-type"' in page
    assert 'name="portal2fa_role-0-requires_2fa"' not in page  # read-only here
    role = GroupRole.objects.get(group=staff_group)
    form = {
        "name": "Staff",
        "portal2fa_role-TOTAL_FORMS": "1",
        "portal2fa_role-INITIAL_FORMS": "1",
        "portal2fa_role-MIN_NUM_FORMS": "0",
        "portal2fa_role-MAX_NUM_FORMS": "1",
        "portal2fa_role-0-id": str(role.pk),
        "portal2fa_role-0-group": str(staff_group.pk),
        "portal2fa_role-0-type": "Partner",
        "portal2fa_role-0-requires_2fa": "",  # a forged field: ignored
    }
    response = admin_client.post(url, form)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.type == "Partner" and role.requires_2fa is True
