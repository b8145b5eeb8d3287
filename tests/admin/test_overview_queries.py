"""The Overview costs a fixed number of queries, whether the portal has 10 or 1,000 users."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import User
from portal2fa.twofactor.core import totp
from portal2fa.twofactor.machinery import counters, keys
from portal2fa.twofactor.models import Authenticator

from .helpers import tag_attrs

# One user in five of each kind: not started, pending, healthy, low on codes, out of codes.
KINDS = ("not_started", "pending", "healthy", "low", "zero")


def populate(start: int, count: int, *, role, password: str) -> None:
    """`count` more active users (and a few inactive ones), in bulk, cycling through KINDS."""
    now = timezone.now()
    emails = [f"bulk{n}@example.com" for n in range(start, start + count)]
    User.objects.bulk_create(
        User(
            email=email,
            full_name=f"Bulk {n:05d}",
            role=role,
            is_active=n % 10 != 9,
            password=password,
        )
        for n, email in enumerate(emails, start=start)
    )
    users = User.objects.filter(email__in=emails)
    secret = keys.encrypt_secret(totp.new_secret())
    rows = []
    for user in users:
        n = int(user.email[4:].split("@")[0])
        kind = KINDS[n % len(KINDS)]
        if kind == "not_started":
            continue
        confirmed = None if kind == "pending" else now - timedelta(days=n % 40)
        remaining = {"pending": 0, "healthy": 10, "low": 1 + n % 2, "zero": 0}[kind]
        rows.append(
            Authenticator(
                user=user,
                encrypted_secret=secret,
                created_at=now - timedelta(days=50),
                confirmed_at=confirmed,
                backup_codes_remaining=remaining,
                backup_codes_issued=0 if kind == "pending" else 10,
                user_active=user.is_active,  # kept in sync by the services; bulk_create skips them
            )
        )
    Authenticator.objects.bulk_create(rows)
    counters.rebuild()  # bulk writes skip the services: recount, as `overview --fix` does


def count_queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(captured), response


@pytest.fixture
def grow(policy, admin_user, make_role):
    role = make_role("Staff")

    def do(start, count):
        populate(start, count, role=role, password=admin_user.password)

    return do


@pytest.mark.parametrize("url_name", ["twofactor:setup-overview", "twofactor:setup-overview-json"])
def test_same_number_of_queries_for_10_and_1000_users(admin_client, grow, url_name):
    url = reverse(url_name)
    admin_client.get(url)  # warm up: anything done once per session is not what we measure
    grow(0, 10)
    small, small_response = count_queries(admin_client, url)
    grow(10, 990)
    large, large_response = count_queries(admin_client, url)
    assert large == small, f"{small} queries with 10 users, {large} with 1,000"
    # 21 on PostgreSQL: the overdue counts run under a serial plan (SAVEPOINT, SET LOCAL,
    # RELEASE), and every request checks the session generation (sessions end at once).
    assert small <= 21
    # The populations really differ (and were really read): 1 admin + 9 active users, then 901.
    if url_name == "twofactor:setup-overview":
        assert tag_attrs(small_response, r"<progress\b")["max"] == "10"
        assert tag_attrs(large_response, r"<progress\b")["max"] == "901"
    else:
        assert small_response.json()["enrollment_rate"]["active"] == 10
        assert large_response.json()["enrollment_rate"]["active"] == 901


def test_every_list_is_non_empty_in_both_populations(admin_client, grow):
    """So the query comparison above covers every branch of the page, not an empty one."""
    grow(0, 10)
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    health = data["backup_codes_health"]
    assert health["no_codes"] and health["low_codes"] and data["recent_enrollments"]
    assert data["status_breakdown"]["pending"] and data["status_breakdown"]["not_started"]
    assert data["roles_without_2fa"]
    # The dashboard's own widgets, in the JSON too.
    assert data["enrollment_methods"]["methods"][0]["users"]
    assert any(role["enrolled"] for role in data["role_adoption"])
    assert data["enrollment_trend"]["total"]
