"""Fixtures for the django-allauth host: Django's own User and Groups, allauth's account views."""

from tests.browser.conftest import browser  # noqa: F401  (the same Chromium fixture)
from tests.hosts.common import (  # noqa: F401  (fixtures and helpers of every test host)
    PASSWORD,
    client,
    dashboard_counted_on_every_load,
    make_user,
    policy,
    staff,
    staff_group,
    superuser,
)


def allauth_login(visitor, username, password=PASSWORD, *, remember=False):
    """allauth's LoginView, as the host's users sign in."""
    data = {"login": username, "password": password}
    if remember:
        data["remember"] = "on"
    return visitor.post("/accounts/login/", data)
