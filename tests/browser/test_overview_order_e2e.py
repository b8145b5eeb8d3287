"""The Overview in the administrator's order, on a phone and a laptop: the rate and breakdown,
then adoption per role and the trend (dates, values and target drawn), then the other lists.
Prints the page's height at 390 px and 1280 px (the README and the report quote them)."""

from playwright.sync_api import Page, expect

from ..admin.helpers import leave_codes
from .test_a11y import DESKTOP, PHONE, Audit, sign_in
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_a11y import people as people  # noqa: F401 - the fixture


def heights(page: Page) -> dict[str, int]:
    measured = {}
    for name, viewport in (("390 px", PHONE), ("1280 px", DESKTOP)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(50)
        measured[name] = page.evaluate("document.documentElement.scrollHeight")
    return measured


def test_overview_order_passes_axe_and_says_its_height(
    page: Page,
    audit: Audit,  # noqa: F811
    people,  # noqa: F811
    make_user,
    enroll,
):
    for n in range(20):  # lists longer than their top rows: Recent Enrollments, running low
        leave_codes(enroll(make_user(f"many{n:02d}@example.com", name=f"Many {n:02d}")), 1)
    sign_in(page, people.admin)
    page.goto("/setup/two-factor/overview/")
    measured = heights(page)
    print(f"\nOverview page height: {measured}")
    titles = page.locator("main h2").all_inner_texts()
    assert titles[:4] == [
        "Enrollment Rate",
        "Status Breakdown",
        "Adoption per Security Role",
        "Enrollment Trend",
    ], titles
    assert {"Backup Codes Health", "Recent Enrollments", "Roles Without 2FA"} <= set(titles[4:])
    # the trend: an image described by its caption, with its values and dates drawn
    chart = page.get_by_role("img", name="Enrolled users at the end of each week")
    expect(chart).to_be_visible()
    expect(chart.locator("text.date")).to_have_count(7)
    expect(chart.locator("text.value")).to_have_count(13)
    expect(page.get_by_test_id("below-target").first).to_have_text("Under 100%")
    # at 390 px the adoption and the trend come before the first list of people
    page.set_viewport_size(PHONE)
    trend = page.get_by_test_id("widget-enrollment-trend").bounding_box()
    health = page.get_by_test_id("widget-backup-codes-health").bounding_box()
    assert trend["y"] < health["y"]
    expect(page.get_by_test_id("list-low-codes").locator("tbody tr")).to_have_count(5)
    page.get_by_test_id("show-all-low-codes").click()
    expect(page.get_by_test_id("list-all").locator("tbody tr")).to_have_count(10)
    audit("overview-show-all")
    page.goto("/setup/two-factor/overview/")
    audit("overview-ordered")
    audit.assert_clean(2)
