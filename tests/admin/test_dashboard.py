"""The Overview as a dashboard (adoption per Security Role, enrollment trend, charts, links) and
the per-user 2FA view an administrator opens from it."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.selectors.overview import Overview
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from tests.reference_totp import totp

from . import test_overview_numbers
from .helpers import table_rows, text

population = test_overview_numbers.population  # the same crafted population as the numbers tests

OVERVIEW = "twofactor:setup-overview"


def overview() -> Overview:
    return Overview(current_policy(), now=timezone.now())


def test_role_adoption_counts_active_users_per_role_worst_first(population):
    rows = [(r.name, r.enrolled, r.active, r.percent) for r in overview().role_adoption()]
    assert rows == [
        ("Administrator", 0, 1, 0.0),
        ("Staff", 6, 8, 75.0),  # inactive Staff users in every state count nowhere
        ("Customers", 0, 0, 0.0),  # no active users: last
        ("Partners", 0, 0, 0.0),
    ]


def test_enrollment_trend_is_thirteen_weeks_of_completed_enrollments(population):
    trend = overview().enrollment_trend()
    assert len(trend) == 13
    assert trend[-1].end == timezone.localdate()
    assert (trend[-1].end - trend[0].start).days == 90
    assert sum(week.enrolled for week in trend) == 6  # the inactive enrollees are not counted
    assert trend[-1].enrolled == 3  # 1 h, 2 h and 3 days ago
    assert trend[-2].enrolled == 1  # 10 days ago


def test_adoption_and_trend_cost_a_fixed_number_of_queries(
    population, make_user, make_role, enroll, django_assert_num_queries
):
    small = overview()
    with django_assert_num_queries(2):
        small.role_adoption()
    with django_assert_num_queries(1):
        small.enrollment_trend()
    # More users, more roles, more enrollments: the same number of queries.
    for n in range(12):
        role = make_role(f"Role {n % 4}", RoleType.PARTNER, requires_2fa=False)
        person = make_user(f"more{n}@example.com", role=role)
        if n % 2:
            enroll(person, at=timezone.now() - timedelta(days=n * 6))
    large = overview()
    with django_assert_num_queries(2):
        adoption = large.role_adoption()
    with django_assert_num_queries(1):
        trend = large.enrollment_trend()
    assert sum(r.active for r in adoption) == 9 + 12
    assert sum(w.enrolled for w in trend) == 6 + 6


def test_overview_page_draws_the_charts_with_tables_and_links_names(population, admin_client):
    response = admin_client.get(reverse(OVERVIEW))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    # Status Breakdown: an SVG picture hidden from screen readers, and the table they read.
    assert re.search(r'<svg class="chart stacked"[^>]*aria-hidden="true"', page)
    assert page.count('<rect class="seg-') == 3
    assert 'data-testid="count-enrolled">6<' in page
    # Adoption per Security Role, worst first; the trend's table.
    assert [row[:4] for row in table_rows(response, "list-adoption")] == [
        ["No", "0", "1", "0.0%"],
        ["Yes", "6", "8", "75.0%"],
        ["No", "0", "0", "—"],
        ["No", "0", "0", "—"],
    ]
    assert len(table_rows(response, "list-trend")) == 13
    # Backup Codes Health counts up front; each name leads to that user's 2FA view.
    assert 'data-testid="health-no-codes">1<' in page  # "never" never had codes: not listed
    assert 'data-testid="health-low-codes">2<' in page
    zero = population.zero
    assert f'<a href="{reverse("twofactor:setup-user", args=[zero.pk])}">Zed Zero</a>' in page
    assert "<script>" not in page and " style=" not in page  # strict CSP: nothing inline


# --- the per-user 2FA view ----------------------------------------------------------------------


def detail_url(user) -> str:
    return reverse("twofactor:setup-user", args=[user.pk])


def test_user_view_shows_state_dates_codes_and_events(population, admin_client):
    response = admin_client.get(detail_url(population.one))
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "Olive One" in page and "one@example.com" in page and "Staff" in page
    assert 'data-testid="state">Enrolled<' in page
    assert 'data-testid="codes-remaining">1 of 10<' in page
    assert 'data-testid="methods">Authenticator App<' in page
    assert 'data-testid="trusted-browsers">0<' in page
    assert 'data-testid="last-signin">Never<' in page
    assert 'data-testid="skew">No<' in page
    events = table_rows(response, "user-events")
    assert [row[1] for row in events] == ["Enrollment completed", "Enrollment started"]
    assert "Reset enrollment…" in page


def test_user_view_of_a_not_started_user_offers_no_reset(population, admin_client):
    page = text(admin_client.get(detail_url(population.not_started)))
    assert 'data-testid="state">Not Started<' in page
    assert 'data-testid="methods">—<' in page
    assert "Reset enrollment…" not in page and "nothing to reset" in page


def test_user_view_names_a_suspected_clock_skew_until_the_next_sign_in(
    policy, admin_client, make_user, enroll
):
    now = timezone.now()
    person = enroll(make_user("skew@example.com", name="Sam Skew"), at=now - timedelta(hours=1))
    token = challenge_issue(user=person.user, at=now)
    behind = totp(person.secret, (now - timedelta(minutes=5)).timestamp())
    assert not challenge_attempt(token=token, code=behind, at=now).ok
    page = text(admin_client.get(detail_url(person.user)))
    assert 'data-testid="skew">Yes, about 5 minutes behind<' in page
    assert 'data-testid="failures">1' in page
    assert "Clock skew suspected" in page

    later = now + timedelta(minutes=1)
    token = challenge_issue(user=person.user, at=later)
    assert challenge_attempt(token=token, code=totp(person.secret, later.timestamp()), at=later).ok
    page = text(admin_client.get(detail_url(person.user)))
    assert 'data-testid="skew">No<' in page and 'data-testid="failures">0<' in page
    assert 'data-testid="last-signin">Never<' not in page


def test_user_view_costs_the_same_queries_with_many_events(
    policy, admin_client, make_user, enroll, settings
):
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 50  # every wrong code below is evaluated
    now = timezone.now()
    person = enroll(make_user("busy@example.com"), at=now - timedelta(hours=1))
    admin_client.get(detail_url(person.user))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(detail_url(person.user))
    for k in range(30):
        at = now + timedelta(seconds=k)
        challenge_attempt(token=challenge_issue(user=person.user, at=at), code="000000", at=at)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(detail_url(person.user))
    assert len(table_rows(response, "user-events")) == 20
    assert len(many) == len(few)


@pytest.mark.parametrize("pk", [999999])
def test_user_view_of_an_unknown_user_is_404(admin_client, pk):
    response = admin_client.get(reverse("twofactor:setup-user", args=[pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_user_view_is_for_administrators_only(client, user, policy):
    client.force_login(user)
    assert client.get(detail_url(user)).status_code == HTTPStatus.FORBIDDEN


def test_users_page_and_reset_tab_link_to_the_user_view(population, admin_client):
    users = text(admin_client.get(reverse("accounts:setup-users")))
    assert f'href="{detail_url(population.zero)}"' in users
    reset = text(admin_client.get(reverse("twofactor:setup-reset") + f"?user={population.zero.pk}"))
    assert f'href="{detail_url(population.zero)}"' in reset


def test_reset_from_the_user_view_goes_through_the_confirmation(population, admin_client):
    page = text(admin_client.get(detail_url(population.one)))
    assert f'action="{reverse("twofactor:setup-reset")}"' in page
    assert f'name="user" value="{population.one.pk}"' in page
    response = admin_client.post(reverse("twofactor:setup-reset"), {"user": population.one.pk})
    assert response.status_code == HTTPStatus.OK
    assert "Reset User Enrollment?" in text(response)  # the server-rendered confirm step
