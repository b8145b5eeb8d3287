"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's live server.

Without the browser these tests skip, unless PORTAL2FA_REQUIRE_BROWSER=1 (CI): then they fail.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PORTAL2FA_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
# axe-core from npm, installed by `make axe` (a dependency of `make test`) into the git-ignored var/.
AXE = Path(os.environ.get("PORTAL2FA_AXE", ROOT / "var/node/node_modules/axe-core/axe.min.js"))
ARTIFACTS = ROOT / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls our tests make around it
# are still synchronous and single-threaded here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _missing(message: str):
    if os.environ.get("PORTAL2FA_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " and PORTAL2FA_REQUIRE_BROWSER=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The text of axe.min.js; fails (never skips) when PORTAL2FA_REQUIRE_BROWSER=1 and it is missing."""
    if not AXE.is_file():
        _missing(f"axe-core not found at {AXE} (run `make axe`: npm install --prefix var/node)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.csp_errors = errors
    yield page
    context.close()
