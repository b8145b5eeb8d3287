"""Pages in other languages, in a real browser.

German's long words and Arabic's right-to-left pages on a 390 px phone: sign-in, verify, enrollment,
the personal page, the Overview and Settings scroll no page sideways, and axe finds no violation.
And the JavaScript's own texts (the enrollment's copy status, the Settings' unsaved-changes line)
come from the catalogue: in the pseudo-locale they show no English. Selectors avoid the pages'
words, which a catalogue translates.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole
from portal2fa.twofactor.models import TwoFactorSettings
from tests.pseudo_text import PSEUDO, english_runs

from ..conftest import PASSWORD
from ..reference_totp import totp
from .test_a11y import AXE_RUN, OVERFLOW, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def policy_on(db):
    TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enrollment_required": True}
    )


@pytest.fixture
def admin(make_user, enroll):
    """An enrolled administrator (the role made here: a transactional test starts empty)."""
    role, _ = SecurityRole.objects.get_or_create(
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    return enroll(make_user("admin@example.com", role=role, name="Ada Admin"))


def open_in(browser, live_server, language: str, viewport=PHONE) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        extra_http_headers={"Accept-Language": language},
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    return context.new_page()


def password_step(page: Page, email: str) -> None:
    page.goto("/signin/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button.primary").click()


def problems_of(page: Page, name: str, axe_source: str) -> list[str]:
    page.wait_for_timeout(50)  # one layout pass
    if page.evaluate("typeof window.axe") != "object":
        page.evaluate(axe_source)
    found = [
        f"{name}: axe {v['impact']} {v['id']}: {v['help']} " + "; ".join(v["nodes"])
        for v in page.evaluate(AXE_RUN)
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"{name}: scrollWidth {width} > 390; wide: {page.evaluate(OVERFLOW)['wide']}")
    return found


@pytest.mark.parametrize("language", ["de", "ar"])
def test_every_kind_of_page_fits_390_px_and_passes_axe(
    browser, live_server, language, policy_on, make_user, admin, axe_source
):
    newcomer = make_user("neu@example.com", name="Nina Neu")
    page = open_in(browser, live_server, language)
    problems = []
    password_step(page, newcomer.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    assert page.evaluate("document.documentElement.lang") == language
    problems += problems_of(page, "enroll", axe_source)
    page.context.clear_cookies()
    page.goto("/signin/")
    problems += problems_of(page, "sign-in", axe_source)
    password_step(page, admin.user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    problems += problems_of(page, "verify", axe_source)
    page.locator("input[name=code]").fill(totp(admin.secret, time.time()))
    page.locator("form button.primary").click()
    expect(page.locator("form[action$='/signout/']")).to_be_visible()
    for name, url in (
        ("personal page", "/account/two-factor/"),
        ("overview", "/setup/two-factor/overview/"),
        ("settings", "/setup/two-factor/"),
    ):
        page.goto(url)
        problems += problems_of(page, name, axe_source)
    page.context.close()
    assert problems == []


def test_the_javascripts_texts_are_translated(browser, live_server, policy_on, user, admin):
    admin_user = admin.user
    page = open_in(browser, live_server, PSEUDO, viewport={"width": 1200, "height": 900})
    password_step(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    copy = page.locator("[data-copy-key]")
    expect(copy).to_be_visible()  # shown by the script
    copy.click()
    status = page.locator("[data-role=copy-status]")
    expect(status).not_to_have_text("")
    shown = [status.inner_text()]
    page.context.close()
    # the Settings tab: a changed field names the unsaved changes
    admin_page = open_in(browser, live_server, PSEUDO, viewport={"width": 1200, "height": 900})
    password_step(admin_page, admin_user.email)
    admin_page.locator("input[name=code]").fill(totp(admin.secret, time.time()))
    admin_page.locator("form button.primary").click()
    expect(admin_page.locator("form[action$='/signout/']")).to_be_visible()
    admin_page.goto("/setup/two-factor/")
    admin_page.locator("form input[type=checkbox]").first.click()
    summary = admin_page.locator("[data-unsaved-summary]")
    expect(summary).not_to_have_text("")
    shown.append(summary.inner_text())
    admin_page.context.close()
    assert all("[" in text for text in shown), shown
    assert [run for text in shown for run in english_runs(text)] == []
