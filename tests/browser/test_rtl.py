"""Right to left, in a real browser: a request in Arabic (Accept-Language: ar) gets
<html lang="ar" dir="rtl">, pages that mirror (the primary button on the right of its card), codes
and charts still left to right, nothing wider than a 390 px phone, and no axe violation. The same
pages in English stay left to right, so the checks can tell one from the other.

Translation is switched on here (USE_I18N, LANGUAGES with ar, LocaleMiddleware) whatever the
project's settings say, on a live server of this test's own: the session-wide one built its
middleware before the settings changed. Selectors avoid the pages' words, which a catalogue
translates. Screenshots go to test-artifacts/rtl-*.png for a person to look at.
"""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole
from portal2fa.twofactor.models import TwoFactorSettings

from ..languages import translation_on
from ..reference_totp import totp
from .conftest import ARTIFACTS
from .test_a11y import AXE_RUN, DESKTOP, OVERFLOW, PHONE

LANG_DIR = "() => [document.documentElement.lang, document.documentElement.dir]"
DIRECTION = "(el) => getComputedStyle(el).direction"
SVG_LENGTHS = """() => [...document.querySelectorAll("svg.chart rect, .meter-fill, progress")]
  .flatMap((el) => ["x", "y", "width", "height", "max", "value"].map((a) => el.getAttribute(a)))
  .filter((v) => v !== null)"""


@pytest.fixture
def site(settings, transactional_db):
    translation_on(settings, middleware=True)
    TwoFactorSettings.objects.update_or_create(
        pk=1, defaults={"enabled": True, "enrollment_required": True}
    )
    server = LiveServer("localhost")
    yield server
    server.stop()


def open_in(browser, site, language: str) -> Page:
    context = browser.new_context(
        base_url=site.url, viewport=DESKTOP, extra_http_headers={"Accept-Language": language}
    )
    return context.new_page()


@pytest.fixture
def arabic(browser, site):
    page = open_in(browser, site, "ar")
    yield page
    page.context.close()


@pytest.fixture
def english(browser, site):
    page = open_in(browser, site, "en")
    yield page
    page.context.close()


@pytest.fixture
def admin(make_user, enroll):
    role, _ = SecurityRole.objects.get_or_create(
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    return enroll(make_user("admin@example.com", role=role, name="Ada Admin"))


def password_step(page: Page, email: str) -> None:
    from ..conftest import PASSWORD

    page.goto("/signin/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button.primary").click()
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))


def sign_in(page: Page, enrolled) -> None:
    password_step(page, enrolled.user.email)
    page.locator("input[name=code]").fill(totp(enrolled.secret, time.time()))
    page.locator("form button.primary").click()
    expect(page.locator("form[action$='/signout/']")).to_be_visible()


CARD = "xpath=ancestor::*[contains(@class,'card')][1]"


def side_of(page: Page, selector: str, frame: str = CARD) -> str:
    """ "left" or "right": the edge of its frame (its card) the element keeps closer to."""
    element = page.locator(selector).first
    box, around = element.bounding_box(), element.locator(frame).bounding_box()
    to_left = box["x"] - around["x"]
    to_right = around["x"] + around["width"] - (box["x"] + box["width"])
    assert to_left != to_right, f"{selector} is as wide as its frame: it shows no side"
    return "left" if to_left < to_right else "right"


def problems_of(page: Page, name: str, axe_source: str) -> list[str]:
    """axe at 1280 and 390 px, and no sideways scrolling at 390 px; screenshots of both."""
    problems = []
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(50)  # one layout pass after the resize
        if page.evaluate("typeof window.axe") != "object":
            page.evaluate(axe_source)
        for violation in page.evaluate(AXE_RUN):
            problems.append(
                f"{name} ({size}): axe {violation['impact']} {violation['id']}: "
                f"{violation['help']}\n      " + "\n      ".join(violation["nodes"])
            )
        if size == "phone":
            box = page.evaluate(OVERFLOW)
            if box["scrollWidth"] > PHONE["width"]:
                problems.append(
                    f"{name} (phone): scrollWidth {box['scrollWidth']} > 390; wide: {box['wide']}"
                )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"rtl-{name}-{size}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    return problems


def test_sign_in_reads_right_to_left_in_arabic_and_left_to_right_in_english(
    arabic: Page, english: Page, axe_source
):
    arabic.goto("/signin/")
    assert arabic.evaluate(LANG_DIR) == ["ar", "rtl"]
    assert arabic.locator("button.primary").evaluate(DIRECTION) == "rtl"
    assert side_of(arabic, "button.primary") == "right"
    assert arabic.locator("input[name=email]").evaluate(DIRECTION) == "rtl"
    assert not problems_of(arabic, "signin", axe_source)

    english.goto("/signin/")
    assert english.evaluate(LANG_DIR) == ["en", "ltr"]
    assert side_of(english, "button.primary") == "left"


def test_verify_mirrors_and_the_code_field_stays_left_to_right(arabic: Page, admin, axe_source):
    password_step(arabic, admin.user.email)
    assert arabic.evaluate(LANG_DIR) == ["ar", "rtl"]
    assert side_of(arabic, "button.primary") == "right"
    code = arabic.locator("input[name=code]")
    assert code.evaluate(DIRECTION) == "ltr"  # typed digit by digit, left to right
    assert not problems_of(arabic, "verify", axe_source)


def test_overview_mirrors_and_its_charts_and_numbers_stay_left_to_right(
    arabic: Page, admin, make_user, make_role, enroll, axe_source
):
    staff = make_role("Field Staff", requires_2fa=True)
    enroll(make_user("zed@example.com", role=staff, name="Zed Target"))
    enroll(
        make_user("old@example.com", role=staff, name="Olga Older"),
        at=timezone.now() - timezone.timedelta(days=20),
    )
    make_user("nora@example.com", role=staff, name="Nora Notstarted")
    sign_in(arabic, admin)
    arabic.goto("/setup/two-factor/overview/")
    assert arabic.evaluate(LANG_DIR) == ["ar", "rtl"]
    for chart in ("svg.chart.stacked", "svg.chart.trend", ".meter svg"):
        assert arabic.locator(chart).first.evaluate(DIRECTION) == "ltr", chart
    assert arabic.locator("svg.chart.trend").get_attribute("dir") == "ltr"
    # drawn in plain numbers, not in the language's ("66,7" is no SVG length: nothing drawn)
    lengths = arabic.evaluate(SVG_LENGTHS)
    assert lengths and all(re.fullmatch(r"\d+(\.\d+)?", n) for n in lengths), lengths
    # the dashboard itself mirrors: headings and table cells keep to the right
    assert side_of(arabic, ".tabs a", frame="xpath=..") == "right"  # the first tab
    cell = arabic.locator("table.legend th[scope=row]").first
    assert cell.evaluate("(el) => getComputedStyle(el).textAlign") == "start"
    assert cell.evaluate(DIRECTION) == "rtl"
    assert not problems_of(arabic, "overview", axe_source)


def test_the_demo_language_switcher_switches_stores_the_choice_and_passes_axe(
    english: Page, admin, axe_source
):
    sign_in(english, admin)
    english.goto("/")
    switcher = english.get_by_test_id("language-switcher")
    assert english.evaluate(LANG_DIR) == ["en", "ltr"]
    assert not problems_of(english, "switcher-en", axe_source)
    switcher.locator("select[name=language]").select_option("ar")
    switcher.locator("button[type=submit]").click()
    expect(english.locator("html")).to_have_attribute("dir", "rtl")
    assert english.evaluate(LANG_DIR) == ["ar", "rtl"]  # back on the same page, in Arabic
    assert english.url.endswith("/")
    assert switcher.locator("select[name=language]").input_value() == "ar"
    admin.user.refresh_from_db()
    assert admin.user.language == "ar"  # the mails to them follow
    assert not problems_of(english, "switcher-ar", axe_source)
