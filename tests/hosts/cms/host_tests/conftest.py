"""Fixtures for the django CMS host: Django's own User and Groups; the editors sign in through the
admin (its LOGIN_URL)."""

import pytest

from tests.browser.conftest import browser  # noqa: F401  (the same Chromium fixture)
from tests.hosts.common import (  # noqa: F401  (fixtures and helpers of every test host)
    PASSWORD,
    client,
    dashboard_counted_on_every_load,
    make_user,
    policy,
    staff_group,
    superuser,
)


@pytest.fixture
def editor(make_user, staff_group):  # noqa: F811  (the fixtures imported above)
    """A CMS editor (staff, may edit pages) whose role requires 2FA."""
    from django.contrib.auth.models import Permission

    user = make_user(
        "sam", groups=[staff_group], first_name="Sam", last_name="Staff", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="cms"))
    return user


@pytest.fixture
def home_page(db):
    """The CMS's home page, public."""
    from cms.api import create_page
    from django.db import transaction

    with transaction.atomic():  # the CMS locks its page tree (the live server's tests commit)
        page = create_page("Home", "cms-base.html", "en-us")
        page.set_as_homepage()
    return page


def admin_login(visitor, username, password=PASSWORD):
    return visitor.post("/admin/login/?next=/admin/", {"username": username, "password": password})
