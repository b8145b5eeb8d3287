"""Fixtures for the stock host: Django's own User and Groups, Django's own LoginView."""

import pytest
from django.contrib.auth.models import Permission

from tests.browser.conftest import browser  # noqa: F401  (the same Chromium fixture)
from tests.hosts.common import (  # noqa: F401  (fixtures and helpers of every test host)
    PASSWORD,
    client,
    dashboard_counted_on_every_load,
    enroll_through_pages,
    make_user,
    manual_key,
    policy,
    staff,
    staff_group,
    superuser,
)


def host_login(visitor, username, password=PASSWORD, url="/accounts/login/"):
    """Django's own LoginView (or the admin's), as the host's users sign in."""
    return visitor.post(url, {"username": username, "password": password})


@pytest.fixture
def manage_permission(db):
    return Permission.objects.get(codename="manage_two_factor", content_type__app_label="twofactor")
