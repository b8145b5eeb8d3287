"""Deadlines in a real browser, each new page state checked with axe at desktop, 390 px and 320 px
(as tests/browser/test_a11y.py): the Settings tab's role cards (unsaved changes, the due-date
input the rule uses, a refused rule), "Remind me later" at sign-in, and the per-user due date
with its extension."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.accounts.models import ADMINISTRATOR_ROLE, RoleType, SecurityRole
from portal2fa.twofactor.core.deadlines import WITHIN_DAYS, DueRule
from portal2fa.twofactor.models import EnrollmentDeadline, TwoFactorSettings
from portal2fa.twofactor.services.settings import settings_update

from . import test_a11y as a11y


@pytest.fixture
def audit(page: Page, axe_source: str) -> a11y.Audit:
    page.set_viewport_size(a11y.DESKTOP)
    return a11y.Audit(page, axe_source)


@pytest.fixture
def finance(transactional_db):
    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    return SecurityRole.objects.create(name="Finance", type=RoleType.EMPLOYEE)


@pytest.fixture
def admin(finance, make_user, enroll):
    role, _ = SecurityRole.objects.get_or_create(  # a flushed database has lost the migration's
        name=ADMINISTRATOR_ROLE, defaults={"type": RoleType.SYSTEM, "grants_setup": True}
    )
    return enroll(make_user("ada@example.com", role=role, name="Ada Admin"))


def within_14_days(role):
    settings_update(
        actor=None,
        changes={},
        at=timezone.now(),
        role_deadlines={str(role.pk): DueRule(WITHIN_DAYS, days=14, snooze_limit=3)},
        role_requirements={str(role.pk): True},
    )


def test_the_role_cards_mark_unsaved_changes_and_save_a_grace_period(
    page: Page, audit, admin, finance, make_user
):
    fay = make_user("fay@example.com", role=finance, name="Fay Finance")
    a11y.sign_in(page, admin)
    page.goto("/setup/two-factor/")
    card = page.get_by_test_id(f"role-{finance.pk}")
    days = page.get_by_label("Days to enroll for Finance", exact=True)
    expect(days).to_be_hidden()  # "At the next sign-in": no date to give
    audit("settings-role-cards")
    page.get_by_label("Require 2FA for Finance", exact=True).check()
    page.get_by_label("Enrollment due for Finance", exact=True).select_option("within_days")
    expect(days).to_be_visible()
    expect(page.get_by_label("Due date for Finance", exact=True)).to_be_hidden()
    expect(card.get_by_text("Unsaved changes", exact=True)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Unsaved changes")).to_have_text(
        "Unsaved changes: Finance."
    )
    audit("settings-role-unsaved")
    days.fill("14")
    page.get_by_label("Snooze limit for Finance", exact=True).fill("3")
    page.get_by_role("button", name="Save settings", exact=True).click()
    expect(page.get_by_role("status").locator(".toast")).to_contain_text("Settings saved.")
    expect(card.get_by_text("Unsaved changes", exact=True)).to_be_hidden()
    assert EnrollmentDeadline.objects.get(user=fay).snooze_limit == 3

    page.get_by_label("Enrollment due for Finance", exact=True).select_option("by_date")
    page.get_by_role("button", name="Save settings", exact=True).click()
    due_date = page.get_by_label("Due date for Finance", exact=True)
    expect(due_date).to_be_focused()  # the field to fix, in its role's card
    expect(card.get_by_text("Enter the date by which users must be enrolled.")).to_be_visible()
    expect(card.get_by_text("Unsaved changes", exact=True)).to_be_visible()
    audit("settings-role-error")
    audit.assert_clean(3)


def test_remind_me_later_signs_in_before_the_due_date(page: Page, audit, finance, make_user):
    fay = make_user("fay@example.com", role=finance, name="Fay Finance")
    within_14_days(finance)
    a11y.password_step(page, fay.email)
    expect(page).to_have_url(re.compile(r"/signin/enroll/$"))
    expect(page.get_by_test_id("enroll-due")).to_contain_text("14 days left")
    expect(page.get_by_test_id("enroll-due")).to_contain_text("You can postpone 3 more times.")
    audit("enroll-remind-me-later")
    page.get_by_role("button", name="Remind me later", exact=True).click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert EnrollmentDeadline.objects.get(user=fay).snoozes == 1
    audit.assert_clean(1)


def test_the_user_view_shows_and_extends_the_due_date(page: Page, audit, admin, finance, make_user):
    fay = make_user("fay@example.com", role=finance, name="Fay Finance")
    within_14_days(finance)
    a11y.sign_in(page, admin)
    page.goto(f"/setup/two-factor/users/{fay.pk}/")
    section = page.get_by_test_id("user-deadline")
    expect(section.get_by_test_id("due")).to_contain_text("14 days left")
    audit("user-2fa-due-date")
    page.get_by_label("Days more", exact=True).fill("7")
    page.get_by_role("button", name="Extend due date", exact=True).click()
    expect(page.get_by_text("Give a reason: it goes to the audit log.")).to_be_visible()
    expect(page.get_by_label("Reason", exact=True)).to_be_focused()
    audit("user-2fa-extend-error")
    page.get_by_label("Reason", exact=True).fill("On leave")
    page.get_by_role("button", name="Extend due date", exact=True).click()
    expect(page.get_by_role("status").locator(".toast")).to_contain_text(
        re.compile(r"Fay Finance is now due \d{4}-\d\d-\d\d\.")
    )
    expect(section.get_by_test_id("due")).to_contain_text("21 days left")
    audit.assert_clean(2)
