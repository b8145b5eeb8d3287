"""The Overview tab's numbers on a crafted population: selector, page, JSON and CSV agree."""

import json
import re
from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings
from portal2fa.twofactor.selectors.overview import overview_data
from portal2fa.twofactor.services.enrollment import enrollment_begin

from .helpers import (
    csv_of,
    enrolled_without_codes,
    has_table,
    leave_codes,
    table_rows,
    tag_attrs,
    text,
)

WIDGETS = [
    "Enrollment Rate",
    "Status Breakdown",
    "Backup Codes Health",
    "Recent Enrollments",
    "Roles Without 2FA",
]
NO_CODES = "Users with no backup codes remaining"
LOW_CODES = "Users running low on backup codes"
HEALTHY = "All users are healthy"
RECENT = [f"{key}@example.com" for key in ("zero", "one", "two", "three", "full")]


@pytest.fixture
def population(policy, admin_user, make_user, make_role, enroll):
    """9 active users (admin included) in every state, plus inactive users that must count nowhere."""
    now = timezone.now()
    staff = make_role("Staff", RoleType.EMPLOYEE, requires_2fa=True)
    make_role("Partners", RoleType.PARTNER, requires_2fa=False)
    make_role("Customers", RoleType.CUSTOMER, requires_2fa=False)
    p = SimpleNamespace(now=now, admin=admin_user)
    p.not_started = make_user("nina@example.com", name="Nina NotStarted", role=staff)
    p.pending = make_user("pete@example.com", name="Pete Pending", role=staff)
    enrollment_begin(user=p.pending, at=now - timedelta(hours=2))
    ages = {"zero": 1 / 24, "one": 2 / 24, "two": 3, "three": 10, "full": 29}
    left = {"zero": 0, "one": 1, "two": 2, "three": 3, "full": 10}
    names = {"zero": "Zed Zero", "one": "Olive One", "two": "Tom Two", "three": "Thea Three"}
    for key, days in ages.items():
        person = make_user(f"{key}@example.com", name=names.get(key, "Fiona Full"), role=staff)
        leave_codes(enroll(person, at=now - timedelta(days=days)), left[key])
        setattr(p, key, person)
    p.never = make_user("never@example.com", name="Nora Never", role=staff)
    enrolled_without_codes(p.never, at=now - timedelta(days=45))
    # Inactive users in every state: none of them may appear anywhere.
    make_user("gone-ns@example.com", name="Gone NotStarted", active=False)
    gone_pending = make_user("gone-p@example.com", name="Gone Pending", active=False)
    enrollment_begin(user=gone_pending, at=now)
    gone_zero = make_user("gone-0@example.com", name="Gone Zero", active=False)
    leave_codes(enroll(gone_zero, at=now - timedelta(minutes=5)), 0)
    gone_low = make_user("gone-1@example.com", name="Gone Low", active=False)
    leave_codes(enroll(gone_low, at=now - timedelta(minutes=6)), 1)
    return p


def test_selector_counts_only_active_users(population):
    data = overview_data(current_policy(), now=timezone.now())
    assert data["enrollment_rate"] == {"enrolled": 6, "active": 9, "percent": 66.7}
    assert data["status_breakdown"] == {"enrolled": 6, "pending": 1, "not_started": 2}
    assert "Gone" not in json.dumps(data)


def test_selector_backup_codes_health_around_the_threshold(population):
    health = overview_data(current_policy(), now=timezone.now())["backup_codes_health"]
    assert health["healthy"] is False
    assert health["threshold"] == 2
    # Used them all: listed. Never had any (Nora) and inactive (Gone Zero): not listed.
    assert health["no_codes"] == [{"name": "Zed Zero", "email": "zero@example.com"}]
    assert health["no_codes_count"] == 1
    assert health["low_codes"] == [
        {"name": "Olive One", "email": "one@example.com", "remaining": 1},
        {"name": "Tom Two", "email": "two@example.com", "remaining": 2},
    ]
    assert health["low_codes_count"] == 2


def test_raising_the_threshold_moves_three_codes_into_the_low_list(population):
    TwoFactorSettings.objects.filter(pk=1).update(low_codes_threshold=3)
    health = overview_data(current_policy(), now=timezone.now())["backup_codes_health"]
    assert [row["remaining"] for row in health["low_codes"]] == [1, 2, 3]
    assert health["low_codes"][-1]["name"] == "Thea Three"


def test_selector_recent_enrollments_newest_first_within_30_days(population):
    recent = overview_data(current_policy(), now=timezone.now())["recent_enrollments"]
    # Nora confirmed 45 days ago, the inactive users recently: both excluded.
    assert [row["email"] for row in recent] == RECENT
    zero = Authenticator.objects.get(user=population.zero)
    assert recent[0]["enrolled_at"] == zero.confirmed_at.isoformat()


def test_enrollment_just_over_30_days_old_is_not_recent(policy, make_user, enroll):
    now = timezone.now()
    enroll(make_user("in@example.com"), at=now - timedelta(days=29, hours=23))
    enroll(make_user("out@example.com"), at=now - timedelta(days=30, minutes=1))
    recent = overview_data(current_policy(), now=now)["recent_enrollments"]
    assert [row["email"] for row in recent] == ["in@example.com"]


def test_selector_roles_without_2fa_follow_the_master_switch(population):
    data = overview_data(current_policy(), now=timezone.now())
    assert data["roles_without_2fa"] == [
        {"name": "Administrator", "type": "System"},
        {"name": "Customers", "type": "Customer"},
        {"name": "Partners", "type": "Partner"},
    ]
    TwoFactorSettings.objects.filter(pk=1).update(enabled=False)
    data = overview_data(current_policy(), now=timezone.now())
    assert [row["name"] for row in data["roles_without_2fa"]] == [
        "Administrator",
        "Customers",
        "Partners",
        "Staff",
    ]


def test_overview_page_shows_the_five_widgets_and_the_numbers(population, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    titles = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    # The administrator's question first: the rate and the breakdown, then adoption per role and
    # the trend, then the seed's other three widgets and the dashboard's other lists.
    assert titles == [
        *WIDGETS[:2],
        "Adoption per Security Role",
        "Enrollment Trend",
        *WIDGETS[2:],
        "Overdue and due soon",
        "Methods",
    ]
    progress = tag_attrs(response, r"<progress\b")
    assert (progress["value"], progress["max"]) == ("6", "9")
    assert "6 of 9</strong> active users enrolled" in page
    assert "66.7%" in page
    for testid, number in [("count-enrolled", 6), ("count-pending", 1), ("count-not-started", 2)]:
        assert f'data-testid="{testid}">{number}<' in page
    assert "Gone " not in page


def test_overview_page_lists_backup_code_problems(population, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    page = text(response)
    assert NO_CODES in page and LOW_CODES in page and HEALTHY not in page
    assert table_rows(response, "list-no-codes") == [["Zed Zero", "zero@example.com"]]
    assert table_rows(response, "list-low-codes") == [
        ["Olive One", "one@example.com", "1"],
        ["Tom Two", "two@example.com", "2"],
    ]
    assert '<th scope="col">Remaining</th>' in page


def test_overview_page_recent_and_roles(population, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    recent = table_rows(response, "list-recent")
    assert [row[1] for row in recent] == RECENT
    zero = Authenticator.objects.get(user=population.zero)
    assert recent[0][2] == timezone.localtime(zero.confirmed_at).strftime("%Y-%m-%d %H:%M %Z")
    assert table_rows(response, "list-roles") == [
        ["Administrator", "System"],
        ["Customers", "Customer"],
        ["Partners", "Partner"],
    ]
    TwoFactorSettings.objects.filter(pk=1).update(enabled=False)
    response = admin_client.get(reverse("twofactor:setup-overview"))
    assert ["Staff", "Employee"] in table_rows(response, "list-roles")


def test_all_users_healthy(policy, admin_client, make_user, enroll):
    enroll(make_user("ten@example.com"))
    leave_codes(enroll(make_user("three@example.com")), 3)
    response = admin_client.get(reverse("twofactor:setup-overview"))
    page = text(response)
    assert HEALTHY in page
    assert NO_CODES not in page and LOW_CODES not in page
    assert not has_table(response, "list-no-codes") and not has_table(response, "list-low-codes")
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert data["backup_codes_health"]["healthy"] is True


def test_json_endpoint_returns_the_same_numbers(population, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview-json"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert {
        "enrollment_rate",
        "status_breakdown",
        "backup_codes_health",
        "recent_enrollments",
        "roles_without_2fa",
    } <= set(data)
    assert data["enrollment_rate"] == {"enrolled": 6, "active": 9, "percent": 66.7}
    assert data["status_breakdown"] == {"enrolled": 6, "pending": 1, "not_started": 2}
    health = data["backup_codes_health"]
    assert {"healthy", "no_codes", "low_codes"} <= set(health)
    assert [r["email"] for r in health["no_codes"]] == ["zero@example.com"]
    assert [r["remaining"] for r in health["low_codes"]] == [1, 2]
    assert data == overview_data(current_policy(), now=timezone.now())


def _export(client, name):
    return client.get(reverse("twofactor:setup-export", kwargs={"name": name}))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no-codes", [["Name", "Email"], ["Zed Zero", "zero@example.com"]]),
        (
            "low-codes",
            [
                ["Name", "Email", "Remaining"],
                ["Olive One", "one@example.com", "1"],
                ["Tom Two", "two@example.com", "2"],
            ],
        ),
        (
            "roles-without-2fa",
            [
                ["Role Name", "Type"],
                ["Administrator", "System"],
                ["Customers", "Customer"],
                ["Partners", "Partner"],
            ],
        ),
    ],
)
def test_csv_exports(population, admin_client, name, expected):
    response = _export(admin_client, name)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{name}.csv"' in response["Content-Disposition"]
    assert csv_of(response) == expected


def test_recent_csv_export(population, admin_client):
    rows = csv_of(_export(admin_client, "recent"))
    assert rows[0] == ["Name", "Email", "Enrolled Date"]
    assert [row[1] for row in rows[1:]] == RECENT
    zero = Authenticator.objects.get(user=population.zero)
    assert rows[1][2] == zero.confirmed_at.isoformat()


def test_csv_cells_that_look_like_formulas_are_neutralised(policy, admin_client, make_user, enroll):
    leave_codes(enroll(make_user("=x@example.com", name="=cmd()")), 0)
    rows = csv_of(_export(admin_client, "no-codes"))
    assert rows[1] == ["'=cmd()", "'=x@example.com"]


@pytest.mark.parametrize("name", ["bogus", "audit", "no_codes"])
def test_unknown_export_is_404(admin_client, name):
    assert _export(admin_client, name).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("name", ["bogus", "code-locked", "no_codes"])
def test_unknown_full_list_is_404(admin_client, name):
    url = reverse("twofactor:setup-overview-list", args=[name])
    assert admin_client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_a_full_list_is_for_administrators_only(client, user):
    client.force_login(user)
    url = reverse("twofactor:setup-overview-list", args=["recent"])
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_low_codes_list_is_paginated(policy, admin_client, make_user):
    now = timezone.now()
    for n in range(25):
        person = make_user(f"low{n:02d}@example.com", name=f"Low {n:02d}")
        Authenticator.objects.create(
            user=person,
            encrypted_secret="unused",
            created_at=now,
            confirmed_at=now - timedelta(minutes=n),  # the list shows the newest enrollment first
            backup_codes_remaining=1,
            backup_codes_issued=10,
        )
    counters.rebuild()  # rows written behind the services' back
    # The Overview shows the top rows and "Show all 25"; the whole list pages on its own page.
    overview = admin_client.get(reverse("twofactor:setup-overview"))
    top = table_rows(overview, "list-low-codes")
    assert [row[0] for row in top] == [f"Low {n:02d}" for n in range(5)]
    url = reverse("twofactor:setup-overview-list", args=["low-codes"])
    assert f'href="{url}" data-testid="show-all-low-codes">Show all 25<' in text(overview)
    first = table_rows(admin_client.get(url), "list-all")
    third_response = admin_client.get(url, {"page": 3})
    third = table_rows(third_response, "list-all")
    assert len(first) == 10 and len(third) == 5
    assert [row[0] for row in first] == [f"Low {n:02d}" for n in range(10)]
    assert [row[0] for row in third] == [f"Low {n:02d}" for n in range(20, 25)]
    assert third[0][2] == "1"  # Remaining
    assert "Page 3 of 3" in text(third_response)
    assert "(25)" in text(third_response)


def test_recent_enrollments_pages_through_a_capped_count(
    policy, admin_client, make_user, monkeypatch
):
    """The page counts at most RECENT_PAGE_CAP recent enrollments (a bounded count at any size)."""
    from portal2fa.twofactor.views import setup

    monkeypatch.setattr(setup, "RECENT_PAGE_CAP", 15)
    now = timezone.now()
    for n in range(25):
        Authenticator.objects.create(
            user=make_user(f"r{n:02d}@example.com", name=f"Recent {n:02d}"),
            encrypted_secret="unused",
            created_at=now,
            confirmed_at=now - timedelta(minutes=n),
            backup_codes_remaining=10,
            backup_codes_issued=10,
        )
    counters.rebuild()
    url = reverse("twofactor:setup-overview-list", args=["recent"])
    response = admin_client.get(url, {"page": 2})
    assert "Page 2 of 2" in text(response)
    assert [row[0] for row in table_rows(response, "list-all")] == [
        f"Recent {n:02d}" for n in range(10, 15)
    ]
