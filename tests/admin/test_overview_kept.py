"""The Overview's two widgets that scan the users (adoption per Security Role, the enrollment
trend) are kept for PORTAL2FA_DASHBOARD_SECONDS: at a million users they cost about a second
(bench/overview.py), the rest of the Overview is O(1). A load within that time runs no scan."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.selectors.overview import Overview

from .helpers import text


@pytest.fixture
def kept(settings):
    settings.PORTAL2FA_DASHBOARD_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def scans(captured) -> list[str]:
    """The statements of the two scans: the active users grouped by role, enrollments by day."""
    return [
        q["sql"] for q in captured if "GROUP BY" in q["sql"] and "overviewcounter" not in q["sql"]
    ]


def test_a_second_load_reads_the_kept_counts_and_says_when_they_were_counted(
    kept, admin_client, user, make_user, enroll, policy
):
    enroll(user)
    first = Overview(current_policy(), now=timezone.now())
    with CaptureQueriesContext(connection) as counting:
        adoption, trend = first.role_adoption(), first.enrollment_trend()
    assert len(scans(counting)) == 2
    enroll(make_user("late@example.com", name="Late Comer"))
    later = Overview(current_policy(), now=timezone.now())
    with CaptureQueriesContext(connection) as reading:
        assert later.role_adoption() == adoption and later.enrollment_trend() == trend
    assert scans(reading) == []
    assert later.counted_at == first.now
    page = text(admin_client.get(reverse("twofactor:setup-overview")))
    assert "Counted at" in page and "recounted every 5 minutes" in page
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert data["dashboard_counted_at"] == first.now.isoformat()
    # the five seed widgets stay live: the counters already count the late comer
    assert data["status_breakdown"]["enrolled"] == 2


def test_zero_counts_on_every_load(settings, admin_client, user, enroll, policy):
    settings.PORTAL2FA_DASHBOARD_SECONDS = 0
    enroll(user)
    assert "Counted at" not in text(admin_client.get(reverse("twofactor:setup-overview")))
