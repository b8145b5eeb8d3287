"""Every Setup URL is for active administrators only; state-changing POSTs need a CSRF token."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.audit.models import AuditEvent
from portal2fa.twofactor.models import Authenticator, BackupCode, TwoFactorSettings

# name -> kwargs builder (from the `subject` user and role)
SETUP_URLS = {
    "accounts:setup": None,
    "accounts:setup-users": None,
    "accounts:setup-user-new": None,
    "accounts:setup-user-edit": lambda s: {"pk": s.user.pk},
    "accounts:setup-roles": None,
    "accounts:setup-role-new": None,
    "accounts:setup-role-edit": lambda s: {"pk": s.user.role.pk},
    "twofactor:setup-settings": None,
    "twofactor:setup-overview": None,
    "twofactor:setup-reset": None,
    "twofactor:setup-overview-json": None,
    "twofactor:setup-export/no-codes": lambda s: {"name": "no-codes"},
    "twofactor:setup-export/low-codes": lambda s: {"name": "low-codes"},
    "twofactor:setup-export/recent": lambda s: {"name": "recent"},
    "twofactor:setup-export/roles-without-2fa": lambda s: {"name": "roles-without-2fa"},
    "twofactor:setup-user-search": None,
    "twofactor:audit-log": None,
    "twofactor:audit-export": None,
}


class _Subject:
    def __init__(self, user):
        self.user = user


def url_for(key: str, user) -> str:
    name = key.split("/")[0]
    kwargs = SETUP_URLS[key]
    url = reverse(name, kwargs=kwargs(_Subject(user)) if kwargs else None)
    return url + ("?q=alice" if name == "twofactor:setup-user-search" else "")


@pytest.mark.parametrize("key", SETUP_URLS)
def test_anonymous_is_sent_to_sign_in(client, enrolled, key):
    url = url_for(key, enrolled.user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response.url)
    assert location.path == reverse("twofactor:signin")
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize("key", SETUP_URLS)
def test_signed_in_non_administrator_is_forbidden(client, enrolled, key):
    client.force_login(enrolled.user)
    assert client.get(url_for(key, enrolled.user)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("key", SETUP_URLS)
def test_administrator_may_open_it(admin_client, enrolled, key):
    assert admin_client.get(url_for(key, enrolled.user)).status_code == HTTPStatus.OK


def test_a_system_role_that_is_not_the_built_in_one_grants_nothing(client, make_user, make_role):
    lookalike = make_role("Administrators", RoleType.SYSTEM)
    client.force_login(make_user("fake@example.com", role=lookalike))
    assert client.get(reverse("twofactor:setup-settings")).status_code == HTTPStatus.FORBIDDEN


def test_an_inactive_administrator_is_not_an_administrator(
    client, admin_user, make_user, admin_role
):
    dormant = make_user("dormant@example.com", role=admin_role, active=False)
    assert not dormant.is_administrator
    client.force_login(dormant)
    response = client.get(reverse("twofactor:setup-overview"))
    assert response.status_code != HTTPStatus.OK
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def test_an_administrator_deactivated_mid_session_loses_access(
    admin_client, admin_user, make_user, admin_role
):
    make_user("other-admin@example.com", role=admin_role)
    url = reverse("twofactor:setup-reset")
    assert admin_client.get(url).status_code == HTTPStatus.OK
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    assert admin_client.get(url).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def test_a_non_administrator_cannot_reset_anyone(client, enrolled, make_user):
    client.force_login(make_user("mallory@example.com"))
    response = client.post(
        reverse("twofactor:setup-reset"), {"user": enrolled.user.pk, "confirmed": "on"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Authenticator.objects.filter(user=enrolled.user).exists()


def test_a_non_administrator_cannot_deactivate_anyone(client, enrolled, make_user):
    client.force_login(make_user("mallory@example.com"))
    url = reverse("accounts:setup-user-active", args=[enrolled.user.pk])
    assert client.post(url, {"active": "0"}).status_code == HTTPStatus.FORBIDDEN
    enrolled.user.refresh_from_db()
    assert enrolled.user.is_active is True


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def _snapshot():
    policy = TwoFactorSettings.objects.filter(pk=1).first()
    return (
        model_to_dict(policy) if policy else None,
        sorted(SecurityRole.objects.values_list("name", "type", "requires_2fa")),
        sorted(User.objects.values_list("email", "full_name", "is_active", "role_id")),
        Authenticator.objects.count(),
        BackupCode.objects.count(),
        AuditEvent.objects.count(),
    )


def test_csrf_client_works_with_a_token(csrf_client, enrolled):
    """The control: the same client does get through when it sends the token."""
    csrf_client.get(reverse("accounts:setup-role-new"))
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(
        reverse("accounts:setup-role-new"),
        {"name": "Vendors", "type": "Partner", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert SecurityRole.objects.filter(name="Vendors").exists()


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        (
            "twofactor:setup-settings",
            lambda u: {
                "enabled": "",
                "enrollment_required": "optional",
                "max_invalid_attempts": "1",
                "clock_skew_steps": "0",
                "backup_codes_per_set": "5",
                "low_codes_threshold": "1",
                "issuer_name": "Evil",
            },
        ),
        ("twofactor:setup-reset", lambda u: {"user": u.pk, "confirmed": "on"}),
        (
            "accounts:setup-user-new",
            lambda u: {
                "full_name": "Eve",
                "email": "eve@example.com",
                "role": u.role.pk,
                "is_active": "on",
                "password": "a-long-unusual-passphrase",
            },
        ),
        ("accounts:setup-role-new", lambda u: {"name": "Evil", "type": "System"}),
    ],
)
def test_posts_without_a_csrf_token_are_refused(csrf_client, enrolled, url_name, data):
    before = _snapshot()
    response = csrf_client.post(reverse(url_name), data(enrolled.user))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _snapshot() == before


def test_edit_posts_without_a_csrf_token_are_refused(csrf_client, enrolled, admin_role):
    before = _snapshot()
    user = enrolled.user
    response = csrf_client.post(
        reverse("accounts:setup-user-edit", kwargs={"pk": user.pk}),
        {
            "full_name": user.full_name,
            "email": user.email,
            "role": admin_role.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    response = csrf_client.post(
        reverse("accounts:setup-role-edit", kwargs={"pk": user.role.pk}),
        {"name": "Renamed", "type": "Customer"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _snapshot() == before


def test_the_403_page_is_the_portals_own(client, make_user):
    client.force_login(make_user("mallory@example.com"))
    response = client.get(reverse("accounts:setup"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "This page is for administrators only." in response.content.decode()
