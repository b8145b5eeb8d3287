"""End to end in a real Chromium: enrollment at sign-in, TOTP and backup-code sign-ins, lockout.

The QR code is read back from a screenshot with zxing-cpp, and every code is computed with the
test suite's own RFC 6238 implementation (tests/reference_totp.py), never with the product's.
"""

import re
import time
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import User
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings

from ..conftest import PASSWORD
from ..reference_totp import totp
from .qr import decode_qr

STEP = 30
ISSUER = "Portal E2E"
# Chromium logs every document answered with a 4xx as a console error. The product deliberately
# answers a refused code with the re-rendered form and HTTP 400, so exactly those entries, one per
# refused code and each for a code page, are expected; anything else (a CSP violation, a script
# error, a failed subresource) fails the test.
DOCUMENT_400 = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
CODE_PAGES = {"/signin/verify/", "/signin/enroll/"}
BACKUP_CODE = re.compile(
    r"^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}$"
)


# --- helpers ---------------------------------------------------------------------------------------


def sign_in_with_password(page: Page, email: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def submit_code(page: Page, code: str, *, label: str = "Code", button: str = "Verify") -> None:
    page.get_by_label(label, exact=True).fill(code)
    page.get_by_role("button", name=button, exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/$"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def expect_signed_in_home(page: Page, user: User) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name=f"Welcome, {user.full_name}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page.get_by_test_id("home-2fa-state")).to_have_text("Enrolled")


def expect_not_signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def step_of(unix_time: float) -> int:
    return int(unix_time) // STEP


def wrong_code(secret: str, *, around: float, margin_steps: int = 21) -> str:
    """A 6-digit code that matches no step near `around` (wider than any clock-skew window)."""
    near = {totp(secret, around + k * STEP) for k in range(-margin_steps, margin_steps + 1)}
    candidate = 0
    while f"{candidate:06d}" in near:
        candidate += 1
    return f"{candidate:06d}"


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def browser_policy(transactional_db) -> TwoFactorSettings:
    policy, _ = TwoFactorSettings.objects.update_or_create(
        pk=1,
        defaults={
            "enabled": True,
            "enrollment_required": True,
            "backup_codes_per_set": 8,  # not the default (10): the page must show the configured number
            "low_codes_threshold": 2,
            "max_invalid_attempts": 5,
            "clock_skew_steps": 3,
            "issuer_name": ISSUER,
        },
    )
    return policy


@pytest.fixture
def console_errors(page: Page) -> list[tuple[str, str]]:
    """(text, url) of each console error; page.csp_errors (conftest) holds the texts only."""
    errors: list[tuple[str, str]] = []
    page.on(
        "console",
        lambda msg: (
            errors.append((msg.text, msg.location.get("url", ""))) if msg.type == "error" else None
        ),
    )
    return errors


def assert_no_console_errors(page: Page, console_errors, *, refused_codes: int) -> None:
    refusals = [url for text, url in console_errors if text == DOCUMENT_400]
    assert len(refusals) == refused_codes, console_errors
    assert all(urlparse(url).path in CODE_PAGES for url in refusals), refusals
    assert [text for text in page.csp_errors if text != DOCUMENT_400] == []
    assert page.csp_errors.count(DOCUMENT_400) == refused_codes


# --- tests -----------------------------------------------------------------------------------------


def test_enroll_at_signin_then_totp_and_backup_code_signins(
    page: Page, console_errors, transactional_db, browser_policy, make_user
):
    user = make_user("erin@example.com", name="Erin Enroll")
    assert user.role.requires_2fa
    assert not Authenticator.objects.filter(user=user).exists()

    # 2. Password, then the enrollment page with a scannable QR code.
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect_not_signed_in(page)

    uri = urlparse(decode_qr(page))
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    label = unquote(uri.path.lstrip("/"))
    assert user.email in label
    assert label == f"{ISSUER}:{user.email}"
    query = parse_qs(uri.query)
    assert query["issuer"] == [ISSUER]
    [secret] = query["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), "a 160-bit secret is 32 base32 characters"
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]
    manual_key = page.get_by_test_id("manual-key").inner_text()
    assert manual_key.replace(" ", "") == secret, (
        "the manual key and the QR code carry the same secret"
    )

    confirmed_at = time.time()
    submit_code(page, totp(secret, confirmed_at), label="Authenticator code", button="Confirm")

    # 3. The backup codes, shown once, with the configured count and working download.
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes_list = page.get_by_test_id("backup-codes").locator("li")
    expect(codes_list).to_have_count(8)
    codes = [text.strip() for text in codes_list.all_inner_texts()]
    assert all(BACKUP_CODE.match(code) for code in codes), codes
    assert len(set(codes)) == 8

    for name in ("Copy", "Download (.txt)", "Print"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download (.txt)", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith("backup-codes.txt")
    with open(download.path(), encoding="utf-8") as downloaded:
        assert downloaded.read().split() == codes

    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    expect_signed_in_home(page, user)

    # 4. A later sign-in with the code of the NEXT step: inside the clock-skew window and newer than
    #    the confirming code's step, which the replay guard has recorded.
    sign_out(page)
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    expect_not_signed_in(page)
    next_step_time = time.time() + STEP
    assert step_of(next_step_time) > step_of(confirmed_at)
    submit_code(page, totp(secret, next_step_time))
    expect_signed_in_home(page, user)

    # 5. A backup code typed in lowercase, with the dash: signed in, with a warning.
    backup_code = codes[0]
    sign_out(page)
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    submit_code(page, backup_code.lower())
    expect_signed_in_home(page, user)
    expect(page.locator(".messages .message.warning")).to_contain_text(
        "You signed in with a backup code. It cannot be used again."
    )
    page.get_by_role("link", name="Manage two-factor authentication").click()
    expect(page.get_by_test_id("state")).to_have_text("Enrolled")
    expect(page.get_by_test_id("codes-remaining")).to_have_text("7")

    # 6. The same backup code again: refused, not signed in.
    sign_out(page)
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    submit_code(page, backup_code.lower())
    expect(page.locator("#id_code-error")).to_have_text("This code was already used.")
    expect(page).to_have_url(re.compile(r"/signin/verify/\?method=app$"))  # the form's action
    expect_not_signed_in(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/$"))
    expect_not_signed_in(page)

    assert_no_console_errors(page, console_errors, refused_codes=1)  # the reused backup code


def test_lockout_after_max_invalid_attempts_then_fresh_signin(
    page: Page, console_errors, transactional_db, browser_policy, make_user, enroll
):
    browser_policy.max_invalid_attempts = 3
    browser_policy.save(update_fields=["max_invalid_attempts"])
    user = make_user("lou@example.com", name="Lou Lockout")
    enrolled = enroll(user)  # confirmed 10 minutes ago: its step is far behind the current ones

    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))

    error = page.locator("#id_code-error")
    submit_code(page, wrong_code(enrolled.secret, around=time.time()))
    expect(error).to_have_text("Invalid code. 2 attempts remaining.")
    submit_code(page, wrong_code(enrolled.secret, around=time.time()))
    expect(error).to_have_text("Invalid code. 1 attempt remaining.")
    submit_code(page, wrong_code(enrolled.secret, around=time.time()))

    locked = page.get_by_test_id("locked")
    expect(locked).to_have_text("Too many invalid attempts. Start a new sign-in.")
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Verify", exact=True)).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    expect_not_signed_in(page)

    # A fresh sign-in issues a new token with its counter at zero.
    page.get_by_role("link", name="Start a new sign-in").click()
    expect(page).to_have_url(re.compile(r"/signin/$"))
    sign_in_with_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    now = time.time()
    assert Authenticator.objects.get(user=user).last_used_step < step_of(now)
    submit_code(page, totp(enrolled.secret, now))
    expect_signed_in_home(page, user)

    assert_no_console_errors(page, console_errors, refused_codes=3)  # the three wrong codes
