"""The 2FA user list (filtered, empty, a failed filter), the per-user reminders and the Overview's
"Overdue and due soon" pass axe and fit a 390 px phone (as tests/browser/test_a11y.py); an
administrator reaches the filtered list from the Overview in one click and sends a reminder."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import EnrollmentDeadline

from . import test_a11y as a11y
from .test_a11y import people  # noqa: F401


def test_user_list_and_overdue_widget_pass_axe(page: Page, axe_source, people):  # noqa: F811
    audit = a11y.Audit(page, axe_source)
    page.set_viewport_size(a11y.DESKTOP)
    now = timezone.now()
    for user, days in ((people.nora, -3), (people.olga, 4)):
        EnrollmentDeadline.objects.create(
            user=user, starts_at=now, due_at=now + timedelta(days=days)
        )
    a11y.sign_in(page, people.admin)
    page.goto("/setup/two-factor/overview/")
    widget = page.get_by_test_id("widget-overdue")
    expect(widget.get_by_role("row")).to_have_count(3)  # the header, Nora (overdue), Olga
    audit("overview-overdue-widget")

    # One click from the Status Breakdown to who has not started.
    page.get_by_test_id("widget-status-breakdown").get_by_role("link", name="Not Started").click()
    expect(page).to_have_url(re.compile(r"/setup/two-factor/users/\?state=not_started$"))
    expect(page.get_by_role("heading", name="Not Started users")).to_be_visible()
    expect(page.get_by_role("cell", name="nora.notstarted@example.com")).to_be_visible()
    audit("user-list-filtered")

    page.get_by_label("Overdue only").check()
    page.get_by_label("Security Role").select_option(label="Field Staff")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_test_id("list-users").get_by_role("row")).to_have_count(2)
    expect(page.get_by_text("3 days overdue")).to_be_visible()
    audit("user-list-overdue")

    page.get_by_label("2FA state").select_option(label="Enrolled")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_test_id("no-users")).to_have_text("No users match this filter.")
    audit("user-list-empty")

    page.goto("/setup/two-factor/users/?state=asleep")
    expect(page.get_by_role("alert").first).to_be_visible()
    audit("user-list-bad-filter")

    page.goto(f"/setup/two-factor/users/{people.nora.pk}/")
    page.get_by_role("button", name="Send a reminder now", exact=True).click()
    expect(page.get_by_text("Reminder sent to nora.notstarted@example.com.")).to_be_visible()
    expect(page.get_by_test_id("last-reminder")).to_contain_text("sent by admin@example.com")
    assert [m.to for m in mail.outbox] == [["nora.notstarted@example.com"]]
    audit("user-2fa-reminder-sent")
    audit.assert_clean(6)
