"""Setup -> Users, Security Roles and the Audit Log."""

import json
from datetime import datetime
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.accounts.services import AccountError, user_update
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.audit.services import Origin, record
from portal2fa.twofactor.core import backup_codes
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.selectors.overview import overview_data
from portal2fa.twofactor.services.enrollment import enrollment_begin
from tests.conftest import PASSWORD

from .helpers import body_rows, csv_of, edit, errors, leave_codes, messages_of, new_user, text


@pytest.fixture
def staff(make_role):
    return make_role("Staff", RoleType.EMPLOYEE)


@pytest.fixture
def partners(make_role):
    return make_role("Partners", RoleType.PARTNER, requires_2fa=False)


def test_user_list_shows_each_users_2fa_state(admin_client, policy, user, enroll, make_user):
    enroll(user)
    enrollment_begin(user=make_user("pat@example.com", name="Pat Pending"), at=timezone.now())
    rows = {row[1]: row for row in body_rows(admin_client.get(reverse("accounts:setup-users")))}
    assert rows["alice@example.com"][-1] == "Enrolled"
    assert rows["pat@example.com"][-1] == "Pending"
    assert rows["admin@example.com"][-1] == "Not Started"
    assert rows["admin@example.com"][2:4] == ["Administrator", "Yes"]


def test_user_list_search_and_50_per_page(admin_client, make_user):
    for n in range(59):
        make_user(f"member{n:02d}@corp.example", name=f"Member {n:02d}")
    make_user("outsider@else.org", name="Olga Outsider")
    url = reverse("accounts:setup-users")
    first = body_rows(admin_client.get(url))
    assert len(first) == 50
    assert len(body_rows(admin_client.get(url, {"page": 2}))) == 11  # 61 users in all
    found = admin_client.get(url, {"q": "CORP.example"})
    assert len(body_rows(found)) == 50 and "59 users matching" in text(found)
    assert "?q=CORP.example&amp;page=2" in found.content.decode()
    second = body_rows(admin_client.get(url, {"q": "CORP.example", "page": 2}))
    assert [r[0] for r in second] == [f"Member {n:02d}" for n in range(50, 59)]
    assert [r[0] for r in body_rows(admin_client.get(url, {"q": "olga"}))] == ["Olga Outsider"]


def test_create_user(admin_client, admin_user, staff):
    response = admin_client.post(reverse("accounts:setup-user-new"), new_user(role=staff.pk))
    assert response.status_code == HTTPStatus.FOUND
    listed = admin_client.get(response.url)
    assert "User created." in messages_of(listed)
    # The list shows the new user, however many users come before them on page 1.
    assert [row[1] for row in body_rows(listed)] == ["nick@example.com"]
    created = User.objects.get(email="nick@example.com")
    assert (created.full_name, created.role, created.is_active) == ("Nick New", staff, True)
    assert created.check_password("violet-kestrel-harbour-92")
    event = AuditEvent.objects.get(action=Action.USER_CHANGED, target=created)
    assert event.actor == admin_user and event.detail["change"] == "created"
    assert "violet" not in json.dumps(event.detail)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "ALICE@example.com"}, "already exists"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password": "short1"}, "This password is too short."),
        ({"password": "password123"}, "This password is too common."),
        ({"full_name": ""}, "This field is required."),
    ],
)
def test_create_user_refusals(admin_client, user, staff, overrides, message):
    count = User.objects.count()
    response = admin_client.post(
        reverse("accounts:setup-user-new"), new_user(role=staff.pk, **overrides)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in errors(response)
    assert User.objects.count() == count
    assert not AuditEvent.objects.filter(action=Action.USER_CHANGED).exists()


def test_edit_role_deactivate_reactivate_are_audited(admin_client, user, partners):
    assert edit(admin_client, user, role=partners.pk).status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.role == partners
    assert edit(admin_client, user, is_active=None).status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert not user.is_active
    assert edit(admin_client, user).status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.is_active
    changes = [
        e.detail["changes"]
        for e in AuditEvent.objects.filter(action=Action.USER_CHANGED, target=user).order_by("id")
    ]
    assert changes == [
        {"role": ["Staff", "Partners"]},
        {"is_active": ["True", "False"]},
        {"is_active": ["False", "True"]},
    ]


def test_deactivating_an_enrolled_user_takes_them_off_the_overview(
    admin_client, policy, user, enroll
):
    leave_codes(enroll(user), 1)

    def overview():
        data = overview_data(current_policy(), now=timezone.now())
        low = data["backup_codes_health"]["low_codes"]
        return data["status_breakdown"]["enrolled"], len(low), len(data["recent_enrollments"])

    assert overview() == (1, 1, 1)
    assert edit(admin_client, user, is_active=None).status_code == HTTPStatus.FOUND
    assert overview() == (0, 0, 0)
    assert edit(admin_client, user).status_code == HTTPStatus.FOUND
    assert overview() == (1, 1, 1)


def test_a_deactivated_user_cannot_sign_in(admin_client, user):
    edit(admin_client, user, is_active=None)
    response = Client().post(
        reverse("twofactor:signin"), {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("overrides", [{"is_active": None}, {"role": "staff"}])
def test_an_administrator_cannot_remove_their_own_access(
    admin_client, admin_user, admin_role, make_user, staff, overrides
):
    make_user("second-admin@example.com", role=admin_role)  # not the last one: still refused
    if overrides.get("role") == "staff":
        overrides = {"role": staff.pk}
    response = edit(admin_client, admin_user, **overrides)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "You cannot remove your own administrator access." in errors(response)
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == admin_role


def test_the_last_active_administrator_cannot_be_removed(
    admin_client, admin_user, admin_role, make_user, staff
):
    other = make_user("second-admin@example.com", role=admin_role)
    assert edit(admin_client, other, role=staff.pk).status_code == HTTPStatus.FOUND  # two: allowed
    for change in ({"role": staff, "is_active": True}, {"role": admin_role, "is_active": False}):
        with pytest.raises(AccountError, match="last active administrator"):
            user_update(
                actor=None,
                user=admin_user,
                email=admin_user.email,
                full_name=admin_user.full_name,
                at=timezone.now(),
                **change,
            )
    admin_user.refresh_from_db()
    assert admin_user.is_administrator


# --- Security Roles -----------------------------------------------------------------------


def test_create_role_and_refuse_a_duplicate_name(admin_client, admin_user, staff):
    url = reverse("accounts:setup-role-new")
    response = admin_client.post(url, {"name": "Vendors", "type": "Partner", "requires_2fa": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert "Security Role created." in messages_of(admin_client.get(response.url))
    role = SecurityRole.objects.get(name="Vendors")
    assert (role.type, role.requires_2fa) == ("Partner", True)
    assert AuditEvent.objects.get(action=Action.ROLE_CHANGED).actor == admin_user
    duplicate = admin_client.post(url, {"name": " staff ", "type": "Customer"})
    assert duplicate.status_code == HTTPStatus.BAD_REQUEST
    assert "already exists" in errors(duplicate)
    assert SecurityRole.objects.filter(name__iexact="staff").count() == 1


def test_edit_role(admin_client, staff):
    url = reverse("accounts:setup-role-edit", kwargs={"pk": staff.pk})
    assert (
        admin_client.post(url, {"name": "Employees", "type": "Employee"}).status_code
        == HTTPStatus.FOUND
    )
    staff.refresh_from_db()
    assert staff.name == "Employees"
    event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert event.detail["changes"] == {"name": ["Staff", "Employees"]}


@pytest.mark.parametrize(
    "data", [{"name": "Admins", "type": "System"}, {"name": "Administrator", "type": "Employee"}]
)
def test_the_built_in_administrator_role_cannot_be_renamed(admin_client, admin_role, data):
    response = admin_client.post(
        reverse("accounts:setup-role-edit", kwargs={"pk": admin_role.pk}), data
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cannot be renamed" in errors(response)
    admin_role.refresh_from_db()
    assert (admin_role.name, admin_role.type, admin_role.grants_setup) == (
        "Administrator",
        "System",
        True,
    )


# --- Audit Log ----------------------------------------------------------------------------


@pytest.fixture
def history(admin_user, user, make_user):
    bob = make_user("bob@builders.org", name="Bob Builder")
    day = lambda d: timezone.make_aware(datetime(2026, 3, d, 12, 0))  # noqa: E731
    record(Action.ENROLLMENT_RESET, Origin(admin_user, user, None, day(1)), reason="lost phone")
    record(Action.SIGNIN_SUCCEEDED, Origin(bob, bob, None, day(5)), factor="totp")
    record(
        Action.SETTINGS_CHANGED,
        Origin(admin_user, None, None, day(9)),
        changes={"max_invalid_attempts": [5, 3]},
    )
    return bob


def log(client, **params):
    return client.get(reverse("twofactor:audit-log"), params)


def test_audit_log_lists_events_newest_first(admin_client, history):
    rows = body_rows(log(admin_client))
    assert [r[1] for r in rows] == ["Settings changed", "Sign-in succeeded", "Enrollment reset"]
    assert rows[0][5] == "changes: Maximum Invalid Attempts 5 -> 3"  # the Settings page's words
    assert rows[2][2:4] == ["admin@example.com", "alice@example.com"]


def test_audit_log_filters(admin_client, history):
    assert [r[1] for r in body_rows(log(admin_client, user="BUILDERS"))] == ["Sign-in succeeded"]
    assert [r[3] for r in body_rows(log(admin_client, user="alice@"))] == ["alice@example.com"]
    assert [r[1] for r in body_rows(log(admin_client, action=Action.SETTINGS_CHANGED))] == [
        "Settings changed"
    ]
    in_range = body_rows(log(admin_client, date_from="2026-03-02", date_to="2026-03-09"))
    assert [r[1] for r in in_range] == ["Settings changed", "Sign-in succeeded"]


def test_audit_log_refuses_a_backwards_date_range(admin_client, history):
    response = log(admin_client, date_from="2026-03-09", date_to="2026-03-01")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "'From' must not be after 'To'." in errors(response)
    bad = log(admin_client, date_from="yesterday", action="nope")
    assert bad.status_code == HTTPStatus.BAD_REQUEST


def test_audit_csv_honours_the_filters(admin_client, history):
    rows = csv_of(
        admin_client.get(
            reverse("twofactor:audit-export"), {"user": "admin@", "date_from": "2026-03-02"}
        )
    )
    assert rows[0] == ["Time", "Action", "Actor", "Target", "Client address", "Detail"]
    assert [r[1] for r in rows[1:]] == ["Settings changed"]
    everything = csv_of(admin_client.get(reverse("twofactor:audit-export")))
    assert len(everything) == 4


def test_no_secret_or_backup_code_reaches_the_audit_trail(admin_client, enrolled):
    # Sign in with a backup code, then reset: the events most likely to leak one.
    browser = Client()
    browser.post(reverse("twofactor:signin"), {"email": enrolled.user.email, "password": PASSWORD})
    used = enrolled.backup_codes[0]
    assert (
        browser.post(
            reverse("twofactor:signin-verify"), {"code": backup_codes.display(used)}
        ).status_code
        == HTTPStatus.FOUND
    )
    admin_client.post(
        reverse("twofactor:setup-reset"),
        {"user": enrolled.user.pk, "confirmed": "on", "reason": "lost phone"},
    )
    assert AuditEvent.objects.filter(action=Action.BACKUP_CODE_USED).exists()
    assert AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).exists()
    trail = " ".join(json.dumps(e.detail) for e in AuditEvent.objects.all())
    trail += json.dumps(csv_of(admin_client.get(reverse("twofactor:audit-export"))))
    trail += text(log(admin_client))
    squashed = trail.upper().replace("-", "").replace(" ", "")
    assert enrolled.secret not in squashed
    for code in enrolled.backup_codes:
        assert code not in squashed


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_audit_dates_at_the_calendar_edges_are_a_message_not_a_500(admin_client, field, value):
    for name in ("twofactor:audit-log", "twofactor:audit-export"):
        response = admin_client.get(reverse(name), {field: value})
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    page = admin_client.get(reverse("twofactor:audit-log"), {field: value})
    assert "Enter a date between 1970 and 9998." in page.content.decode()


def test_deactivate_and_reactivate_buttons(admin_client, make_user):
    person = make_user("dee@example.com", name="Dee Active")
    url = reverse("accounts:setup-user-active", args=[person.pk])
    page = admin_client.get(reverse("accounts:setup-user-edit", args=[person.pk])).content.decode()
    assert "Deactivate user" in page
    assert admin_client.post(url, {"active": "0"}).status_code == HTTPStatus.FOUND
    person.refresh_from_db()
    assert person.is_active is False
    page = admin_client.get(reverse("accounts:setup-user-edit", args=[person.pk])).content.decode()
    assert "Reactivate user" in page
    admin_client.post(url, {"active": "1"})
    person.refresh_from_db()
    assert person.is_active is True
    assert admin_client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_an_admin_cannot_deactivate_themselves_with_the_button(admin_client, admin_user):
    url = reverse("accounts:setup-user-active", args=[admin_user.pk])
    response = admin_client.post(url, {"active": "0"}, follow=True)
    assert "You cannot remove your own administrator access." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


def test_roles_list_search(admin_client, make_role):
    make_role("Field Engineers")
    make_role("Customers", type=RoleType.CUSTOMER, requires_2fa=False)
    page = admin_client.get(reverse("accounts:setup-roles"), {"q": "field"}).content.decode()
    assert "Field Engineers" in page and "Customers" not in page


def test_renaming_a_role_does_not_revert_a_concurrent_2fa_change(make_role):
    from portal2fa.accounts.services import role_update

    stale = make_role("Alpha", requires_2fa=False)
    SecurityRole.objects.filter(pk=stale.pk).update(requires_2fa=True)  # Settings, meanwhile
    role_update(actor=None, role=stale, name="Alpha Team", type=stale.type, at=timezone.now())
    fresh = SecurityRole.objects.get(pk=stale.pk)
    assert (fresh.name, fresh.requires_2fa) == ("Alpha Team", True)


def test_a_refused_rename_leaves_the_role_as_it_was(admin_client, make_role):
    alpha, _ = make_role("Alpha"), make_role("Beta")
    url = reverse("accounts:setup-role-edit", args=[alpha.pk])
    response = admin_client.post(url, {"name": "beta", "type": alpha.type})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "A role named &#x27;beta&#x27; already exists." in response.content.decode()
    assert "<h1>Alpha</h1>" in response.content.decode()
    assert SecurityRole.objects.get(pk=alpha.pk).name == "Alpha"
