"""Temporary Access Pass pages: issued on the user's 2FA view and the Reset tab (shown once, kept
through a reload, never twice for a double click), revoked; entered at the second-factor step,
it leads into enrollment; with the Settings option on, a reset user cannot enroll without one."""

import re
from http import HTTPStatus

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core import access_pass
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import (
    Authenticator,
    ReenrollmentDue,
    TemporaryAccessPass,
    TwoFactorSettings,
)
from portal2fa.twofactor.services.access_passes import access_pass_issue
from portal2fa.twofactor.services.enrollment import enrollment_reset

from .helpers import current_code, is_signed_in, manual_key, sign_in, text

pytestmark = pytest.mark.django_db

SEED_DIALOG = (
    "This will remove the user's authenticator app enrollment and all backup codes. "
    "The user will need to enroll again."
)
NEEDS_PASS = "They will also need a Temporary Access Pass to enroll again"


@pytest.fixture
def set_policy(policy):
    def update(**values):
        TwoFactorSettings.objects.filter(pk=policy.pk).update(**values)

    return update


def shown_pass(response) -> str | None:
    found = re.search(r'data-testid="access-pass-code">([^<]+)<', response.content.decode())
    return found.group(1) if found else None


def request_id(response) -> str:
    return re.search(r'name="request_id" value="([^"]+)"', response.content.decode()).group(1)


def issue_on_user_page(admin_client, user):
    page = admin_client.get(reverse("twofactor:setup-user", args=[user.pk]))
    return admin_client.post(
        reverse("twofactor:setup-pass-issue"),
        {"user": user.pk, "request_id": request_id(page), "pass_next": "user"},
    )


def test_issued_on_the_user_page_shown_until_done_kept_through_a_reload(admin_client, enrolled):
    user = enrolled.user
    response = issue_on_user_page(admin_client, user)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.url == reverse("twofactor:setup-user", args=[user.pk])
    page = admin_client.get(response.url)
    code = shown_pass(page)
    assert code and access_pass.normalise(code)
    assert "Verify the user's identity through an out-of-band channel" in text(page)
    assert 'data-action="copy-pass"' in page.content.decode()
    assert shown_pass(admin_client.get(response.url)) == code  # a reload: the same pass
    row = TemporaryAccessPass.objects.get()
    assert row.digest == keys.access_pass_digest(user.pk, access_pass.normalise(code))
    admin_client.post(reverse("twofactor:setup-pass-done"), {"user": user.pk, "pass_next": "user"})
    after = admin_client.get(response.url)
    assert shown_pass(after) is None and 'data-testid="live-pass"' in after.content.decode()


def test_a_double_click_on_issue_issues_one_pass_and_shows_it(admin_client, enrolled):
    user = enrolled.user
    page = admin_client.get(reverse("twofactor:setup-user", args=[user.pk]))
    form = {"user": user.pk, "request_id": request_id(page), "pass_next": "user"}
    admin_client.post(reverse("twofactor:setup-pass-issue"), form)
    admin_client.post(reverse("twofactor:setup-pass-issue"), form)
    assert TemporaryAccessPass.objects.count() == 1
    code = shown_pass(admin_client.get(reverse("twofactor:setup-user", args=[user.pk])))
    row = TemporaryAccessPass.objects.get()
    assert row.digest == keys.access_pass_digest(user.pk, access_pass.normalise(code))


def test_revoke_ends_the_pass_and_hides_it(admin_client, enrolled):
    user = enrolled.user
    issue_on_user_page(admin_client, user)
    response = admin_client.post(
        reverse("twofactor:setup-pass-revoke"), {"user": user.pk, "pass_next": "user"}
    )
    page = admin_client.get(response.url)
    assert shown_pass(page) is None and "has no Temporary Access Pass" in text(page)
    assert TemporaryAccessPass.objects.get().outcome == "revoked"
    again = admin_client.post(
        reverse("twofactor:setup-pass-revoke"), {"user": user.pk, "pass_next": "user"}, follow=True
    )
    assert "has no Temporary Access Pass to revoke" in text(again)


def test_only_administrators_issue_and_bad_input_is_a_clear_answer(admin_client, enrolled):
    client = Client()
    client.force_login(enrolled.user)
    for name in ("setup-pass-issue", "setup-pass-revoke", "setup-pass-done"):
        assert client.post(
            reverse(f"twofactor:{name}"), {"user": enrolled.user.pk}
        ).status_code == (HTTPStatus.FORBIDDEN)
    for junk in ("", "x" * 100, "12abc", "999999"):
        response = admin_client.post(
            reverse("twofactor:setup-pass-issue"), {"user": junk}, follow=True
        )
        assert response.status_code == HTTPStatus.OK and "Select a user first." in text(response)
    assert not TemporaryAccessPass.objects.exists()


def test_a_pass_at_the_verify_step_leads_into_enrollment(admin_user, enrolled, policy):
    issued = access_pass_issue(actor=admin_user, user=enrolled.user, at=timezone.now())
    browser = Client()
    sign_in(browser, enrolled.user.email)
    verify = browser.get(reverse("twofactor:signin-verify"))
    assert 'href="/signin/pass/"' in verify.content.decode()
    wrong = browser.post(reverse("twofactor:signin-pass"), {"access_pass": "2222-2222-2222"})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid Temporary Access Pass. 4 attempts remaining." in text(wrong)
    passed = browser.post(reverse("twofactor:signin-pass"), {"access_pass": issued.display})
    assert passed.status_code == HTTPStatus.SEE_OTHER
    assert passed.url == reverse("twofactor:signin-enroll")
    assert not is_signed_in(browser)  # not before a new factor is set up
    enroll = browser.get(passed.url)
    secret = manual_key(enroll).replace(" ", "")
    done = browser.post(passed.url, {"code": current_code(secret)})
    assert done.status_code == HTTPStatus.SEE_OTHER  # to the new backup codes
    assert is_signed_in(browser)
    assert Authenticator.objects.get(user=enrolled.user).confirmed_at is not None
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_USED).count() == 1


def test_with_the_option_on_a_reset_user_cannot_enroll_without_a_pass(
    admin_user, enrolled, policy, set_policy
):
    set_policy(reset_needs_access_pass=True, passkeys_allowed=True)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    browser = Client()
    sign_in(browser, enrolled.user.email)
    enroll = browser.get(reverse("twofactor:signin-enroll"))
    assert enroll.url == reverse("twofactor:signin-pass")
    assert "Your administrator reset your two-factor authentication" in text(
        browser.get(enroll.url)
    )
    options = browser.post(reverse("twofactor:signin-enroll-passkey-options"), {"name": "Key"})
    assert options.status_code == HTTPStatus.CONFLICT
    assert options.json() == {"redirect": reverse("twofactor:signin-pass")}
    assert browser.post(enroll.url, {"code": "123456"}).status_code == HTTPStatus.BAD_REQUEST
    assert not Authenticator.objects.filter(user=enrolled.user).exists()  # no QR code issued
    issued = access_pass_issue(actor=admin_user, user=enrolled.user, at=timezone.now())
    browser.post(enroll.url, {"access_pass": issued.code})
    assert manual_key(browser.get(reverse("twofactor:signin-enroll")))


def test_with_the_option_off_the_seeds_reset_is_unchanged(admin_client, admin_user, enrolled):
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    browser = Client()
    sign_in(browser, enrolled.user.email)
    assert manual_key(browser.get(reverse("twofactor:signin-enroll")))
    page = text(admin_client.get(reverse("twofactor:setup-reset")))
    assert SEED_DIALOG in page and NEEDS_PASS not in page


def test_the_reset_dialog_says_a_pass_is_needed_and_issues_one_at_once(
    admin_client, enrolled, set_policy
):
    set_policy(reset_needs_access_pass=True)
    user = enrolled.user
    page = text(admin_client.get(reverse("twofactor:setup-reset") + f"?user={user.pk}"))
    assert SEED_DIALOG in page and NEEDS_PASS in page
    confirm = admin_client.post(reverse("twofactor:setup-reset"), {"user": user.pk})
    assert SEED_DIALOG in text(confirm) and NEEDS_PASS in text(confirm)
    done = admin_client.post(
        reverse("twofactor:setup-reset"),
        {"user": user.pk, "confirmed": "on", "issue_pass": "on"},
    )
    assert done.url == reverse("twofactor:setup-reset") + f"?user={user.pk}"
    assert ReenrollmentDue.objects.filter(user=user).exists()
    shown = shown_pass(admin_client.get(done.url))
    row = TemporaryAccessPass.objects.get(user=user)
    assert row.digest == keys.access_pass_digest(user.pk, access_pass.normalise(shown))


def test_the_settings_option_saves_and_is_audited(admin_client, policy):
    page = admin_client.get(reverse("twofactor:setup-settings"))
    assert "After a reset, the user needs a Temporary Access Pass to enroll again" in text(page)
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value not in (None, False) and not isinstance(value, list)
    }
    data.update(
        enrollment_required="required" if policy.enrollment_required else "optional",
        reset_needs_access_pass="on",
    )
    admin_client.post(reverse("twofactor:setup-settings"), data)
    assert TwoFactorSettings.objects.get().reset_needs_access_pass
    change = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED).detail["changes"]
    assert change["reset_needs_access_pass"] == [False, True]


def test_a_second_click_on_continue_goes_on_to_enrollment(admin_user, enrolled, policy):
    issued = access_pass_issue(actor=admin_user, user=enrolled.user, at=timezone.now())
    browser = Client()
    sign_in(browser, enrolled.user.email)
    for _ in range(2):
        response = browser.post(reverse("twofactor:signin-pass"), {"access_pass": issued.code})
        assert response.url == reverse("twofactor:signin-enroll")
    assert manual_key(browser.get(response.url))
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).count() == 0


@override_settings(PORTAL2FA_SESSION_CHECK_SECONDS=0)  # the generation is read on every request
def test_a_held_host_login_survives_the_reset_its_pass_makes(admin_user, enrolled, policy):
    issued = access_pass_issue(actor=admin_user, user=enrolled.user, at=timezone.now())
    host = Client()
    host.force_login_held(enrolled.user)  # any other login view: the session is held
    assert host.get(reverse("twofactor:signin-verify")).status_code == HTTPStatus.OK
    passed = host.post(reverse("twofactor:signin-pass"), {"access_pass": issued.code})
    assert passed.url == reverse("twofactor:signin-enroll")
    secret = manual_key(host.get(passed.url)).replace(" ", "")
    assert host.post(passed.url, {"code": current_code(secret)}).status_code == HTTPStatus.SEE_OTHER
    assert is_signed_in(host)
