"""Setup → API tokens and Setup → Webhooks in a real browser: create a token (shown once),
revoke it, add an endpoint, replay a failed delivery; every state passes axe and fits a 390 px
phone (as tests/browser/test_a11y.py)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal2fa.api.models import DeliveryStatus, WebhookMessage
from portal2fa.twofactor.services.enrollment import enrollment_reset

from . import test_a11y as a11y

people = a11y.people  # the fixture: an enrolled administrator and users of every state


@pytest.fixture
def audit(page: Page, axe_source: str) -> a11y.Audit:
    page.set_viewport_size(a11y.DESKTOP)
    return a11y.Audit(page, axe_source)


def test_api_tokens_page(page: Page, audit, people):
    a11y.sign_in(page, people.admin)
    page.goto("/setup/two-factor/api-tokens/")
    audit("api-tokens-empty")
    page.get_by_role("button", name="Create token", exact=True).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    audit("api-tokens-errors")
    page.get_by_label("Token name", exact=True).fill("helpdesk")
    page.get_by_label("Reset and unlock users", exact=True).check()
    page.get_by_label("Read users, the Overview and the settings", exact=True).check()
    page.get_by_label("Expires after (days)", exact=True).fill("30")
    page.get_by_role("button", name="Create token", exact=True).click()
    secret = page.get_by_test_id("shown-once").locator("code")
    expect(secret).to_have_text(re.compile(r"^p2fa_"))
    audit("api-tokens-shown-once")
    page.reload()
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    page.get_by_role("button", name="Revoke helpdesk", exact=True).click()
    expect(page.get_by_test_id("messages")).to_contain_text("The token helpdesk has been revoked.")
    audit("api-tokens-revoked")
    audit.assert_clean(4)


def test_webhooks_page(page: Page, audit, people, settings, live_server):
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = True
    a11y.sign_in(page, people.admin)
    page.goto("/setup/two-factor/webhooks/")
    audit("webhooks-empty")
    page.get_by_label("Endpoint name", exact=True).fill("siem")
    page.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/hooks")
    page.get_by_label("enrollment.reset", exact=True).check()
    page.get_by_role("button", name="Add endpoint", exact=True).click()
    expect(page.get_by_test_id("shown-once").locator("code")).to_have_text(re.compile("^whsec_"))
    audit("webhooks-secret-shown-once")
    enrollment_reset(actor=None, user=people.zed.user, at=timezone.now())
    WebhookMessage.objects.update(status=DeliveryStatus.FAILED, attempts=8, last_error="HTTP 503")
    page.goto("/setup/two-factor/webhooks/")
    expect(page.get_by_test_id("failed-table")).to_contain_text("enrollment.reset")
    audit("webhooks-failed")
    page.get_by_role("button", name="Replay", exact=True).click()
    expect(page.get_by_test_id("messages")).to_contain_text("1 failed delivery queued again.")
    audit("webhooks-replayed")
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = False
    page.get_by_label("Endpoint name", exact=True).fill("metadata")
    page.get_by_label("URL", exact=True).fill("http://169.254.169.254/latest")
    page.get_by_role("button", name="Add endpoint", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("link-local")
    audit("webhooks-refused")
    audit.assert_clean(5)
