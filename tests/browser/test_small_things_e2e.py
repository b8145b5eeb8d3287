"""In Chromium: the reset toast's close button stays in view at 320 px (a long name and address
wrap instead of pushing it off), and the Settings page with a method off site-wide is axe-clean
at 390 px."""

from playwright.sync_api import Page, expect

from portal2fa.twofactor.models import TwoFactorSettings

from .test_a11y import REFLOW, Audit, sign_in
from .test_a11y import audit as audit  # noqa: F401 - the fixture
from .test_a11y import people as people  # noqa: F401 - the fixture


def test_the_reset_toasts_close_button_stays_in_view_at_320_px(page: Page, audit: Audit, people):
    TwoFactorSettings.objects.filter(pk=1).update(sms_codes_allowed=False)
    sign_in(page, people.admin)
    page.goto("/setup/two-factor/")
    expect(page.get_by_text("(off site-wide)").first).to_be_visible()
    audit("settings-sms-off-site-wide")
    page.goto(f"/setup/two-factor/users/{people.zed.user.pk}/")
    page.get_by_role("button", name="Reset enrollment…", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Continue", exact=True).click()
    toast = page.locator(".toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("zed.target@example.com")
    audit("reset-toast-after-confirm")
    page.set_viewport_size(REFLOW)
    page.wait_for_timeout(50)
    close = toast.locator(".toast-close")
    box, frame = close.bounding_box(), toast.bounding_box()
    assert box["x"] + box["width"] <= REFLOW["width"], box
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1, (box, frame)
    audit.assert_clean(2)
