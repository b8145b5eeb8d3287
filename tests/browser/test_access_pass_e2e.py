"""End to end in a real Chromium: a Temporary Access Pass issued from the Reset tab, read from the
page, used once to sign in and enroll again (the QR code decoded from a screenshot, the TOTP code
computed by the tests' own RFC 6238); the second use and an expired pass are refused; no plaintext
pass in the database, the logs or the audit. Every new page state gets axe and a 390 px check.
"""

import logging
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core import access_pass
from portal2fa.twofactor.models import Authenticator, TemporaryAccessPass, TwoFactorSettings

from ..reference_totp import totp
from .qr import decode_qr
from .test_a11y import Audit, password_step, sign_in, sign_out, try_another_way

SEED_DIALOG = (
    "This will remove the user's authenticator app enrollment and all backup codes. "
    "The user will need to enroll again."
)


@pytest.fixture
def audit(page: Page, axe_source: str) -> Audit:
    return Audit(page, axe_source)


@pytest.fixture
def world(transactional_db, make_role, make_user, enroll):
    TwoFactorSettings.objects.update_or_create(
        pk=1,
        defaults={
            "enabled": True,
            "enrollment_required": True,
            "max_invalid_attempts": 5,
            "reset_needs_access_pass": True,
        },
    )
    admin_role, _ = SecurityRole.objects.get_or_create(
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    staff = make_role("Field Staff", type=RoleType.EMPLOYEE, requires_2fa=True)
    admin = enroll(make_user("admin@example.com", role=admin_role, name="Ada Admin"))
    zed = enroll(make_user("zed.target@example.com", role=staff, name="Zed Target"))
    return admin, zed


def read_pass(page: Page) -> str:
    shown = page.get_by_test_id("access-pass-code")
    expect(shown).to_be_visible()
    return shown.inner_text().strip()


def enter_pass(page: Page, value: str) -> None:
    page.get_by_label("Temporary Access Pass", exact=True).fill(value)
    page.get_by_role("button", name="Continue", exact=True).click()


def no_plaintext_anywhere(passes: list[str], caplog) -> None:
    forms = {p for code in passes for p in (code, access_pass.normalise(code))}
    for model in apps.get_models():
        rows = str(list(model._base_manager.values()))
        assert not any(p in rows for p in forms), model.__name__
    assert not any(p in caplog.text for p in forms)
    details = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert not any(p in details for p in forms)


def test_a_pass_from_the_reset_tab_signs_in_once_and_enrolls_again(
    page: Page, browser, live_server, audit: Audit, world, caplog
):
    caplog.set_level(logging.DEBUG)
    admin, zed = world
    # 1. The administrator resets Zed from the Reset tab; the dialog keeps the seed's message,
    #    says a pass will be needed and issues one at once.
    sign_in(page, admin)
    page.goto(f"/setup/two-factor/reset/?user={zed.user.pk}")
    audit("reset-with-pass-issue")
    page.get_by_role("button", name="Reset", exact=True).click()
    dialog = page.get_by_role("dialog", name="Reset User Enrollment?")
    expect(dialog.get_by_text(SEED_DIALOG, exact=True)).to_be_visible()
    expect(dialog.get_by_test_id("reset-pass-note")).to_contain_text(
        "They will also need a Temporary Access Pass to enroll again"
    )
    expect(dialog.get_by_label("Issue a Temporary Access Pass now")).to_be_checked()
    audit("reset-dialog-pass-note")
    dialog.get_by_role("button", name="Continue", exact=True).click()
    first = read_pass(page)
    expect(page.get_by_test_id("out-of-band")).to_contain_text(
        "Verify the user's identity through an out-of-band channel"
    )
    expect(page.get_by_role("button", name="Copy", exact=True)).to_be_visible()
    audit("reset-pass-shown")
    page.reload()
    assert read_pass(page) == first  # a reload does not lose it
    assert not Authenticator.objects.filter(user=zed.user).exists()

    # 2. Zed, in another browser: the enrollment step asks for the pass first.
    user_context = browser.new_context(base_url=live_server.url)
    zed_page = user_context.new_page()
    zed_audit = Audit(zed_page, audit.axe_source)
    password_step(zed_page, zed.user.email)
    expect(zed_page).to_have_url(re.compile(r"/signin/pass/$"))
    expect(zed_page.get_by_test_id("pass-needed")).to_be_visible()
    zed_audit("signin-pass-needed")
    enter_pass(zed_page, "2222-3333-4444")
    expect(
        zed_page.get_by_text("Invalid Temporary Access Pass. 4 attempts remaining.")
    ).to_be_visible()
    zed_audit("signin-pass-refused")
    enter_pass(zed_page, first.lower())

    # 3. Enrollment again: the QR code read from a screenshot, the code computed independently.
    expect(zed_page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(zed_page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(zed_page.get_by_test_id("qr")).to_be_visible()
    zed_page.wait_for_load_state("load")
    [secret] = parse_qs(urlparse(decode_qr(zed_page)).query)["secret"]
    zed_page.get_by_label("Authenticator code", exact=True).fill(totp(secret, time.time()))
    zed_page.get_by_role("button", name="Confirm", exact=True).click()
    expect(zed_page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    zed_page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    expect(zed_page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert Authenticator.objects.get(user=zed.user).confirmed_at is not None

    # 4. The same pass again, from the verify step's link: refused.
    sign_out(zed_page)
    password_step(zed_page, zed.user.email)
    expect(zed_page).to_have_url(re.compile(r"/signin/verify/$"))
    try_another_way(zed_page, "Use a Temporary Access Pass")
    zed_audit("signin-pass-at-verify")
    enter_pass(zed_page, first)
    expect(zed_page.get_by_text("This Temporary Access Pass was already used.")).to_be_visible()

    # 5. A pass issued on Zed's 2FA page, past its time: refused as expired.
    page.goto(f"/setup/two-factor/users/{zed.user.pk}/")
    audit("user-2fa-pass-none")
    page.get_by_role("button", name="Issue a Temporary Access Pass", exact=True).click()
    second = read_pass(page)
    audit("user-2fa-pass-shown")
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.get_by_test_id("live-pass")).to_be_visible()
    audit("user-2fa-pass-live")
    TemporaryAccessPass.objects.filter(ended_at=None).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    enter_pass(zed_page, second)
    expect(zed_page.get_by_text("This Temporary Access Pass has expired.")).to_be_visible()
    user_context.close()

    # 6. The Reset tab's own Issue button (it submits the Reset form's user, not a reset).
    page.goto(f"/setup/two-factor/reset/?user={zed.user.pk}")
    page.get_by_role("button", name="Issue a Temporary Access Pass", exact=True).click()
    third = read_pass(page)
    assert third != second and Authenticator.objects.filter(user=zed.user).exists()

    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_USED).count() == 1
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_EXPIRED).count() == 1
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_ISSUED).count() == 3
    no_plaintext_anywhere([first, second, third], caplog)
    problems = audit.problems + zed_audit.problems
    assert not problems, "\n" + "\n".join(problems)
    assert len(audit.states) + len(zed_audit.states) == 9
