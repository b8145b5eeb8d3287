"""Trusted browsers through the pages: the verify page's offer, the cookie, the skipped
second factor on the own sign-in page and for held host logins, the personal page, the settings."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Enforcement, TrustedBrowser, TwoFactorSettings
from portal2fa.twofactor.web.trusted import COOKIE_NAME
from tests.admin.helpers import checkbox, role_card

from .helpers import current_code, is_signed_in, sign_in, text

VERIFY = "twofactor:signin-verify"
OFFER = "Trust this browser for"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def unrecognized(policy):
    TwoFactorSettings.objects.filter(pk=1).update(
        enforcement=Enforcement.UNRECOGNIZED_DEVICES, trust_days=14
    )
    policy.refresh_from_db()
    return policy


def verify(client, code, *, trust=False):
    data = {"code": code}
    if trust:
        data["trust_browser"] = "1"
    return client.post(reverse(VERIFY), data, HTTP_USER_AGENT=UA)


def sign_in_trusting(client, person, *, at=None):
    """Password, then a code with "Trust this browser" ticked."""
    response = sign_in(client, person.user.email)
    assert response.url == reverse(VERIFY)
    response = verify(client, person.code(at or timezone.now()), trust=True)
    assert response.status_code == HTTPStatus.FOUND
    return response


def sign_out(client):
    client.post(reverse("twofactor:signout"))
    assert not is_signed_in(client)


def test_every_signin_mode_offers_no_trust_and_ignores_the_field(client, enrolled):
    sign_in(client, enrolled.user.email)
    assert OFFER not in text(client.get(reverse(VERIFY)))
    response = verify(client, current_code(enrolled.secret), trust=True)
    assert response.status_code == HTTPStatus.FOUND
    assert COOKIE_NAME not in response.cookies
    assert not TrustedBrowser.objects.exists()


def test_trusting_sets_a_hardened_cookie_and_the_next_signin_skips_the_factor(
    client, enrolled, unrecognized
):
    sign_in(client, enrolled.user.email)
    page = text(client.get(reverse(VERIFY)))
    assert "Trust this browser for 14 days" in page
    response = verify(client, current_code(enrolled.secret), trust=True)
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    row = TrustedBrowser.objects.get(user=enrolled.user)
    assert row.name == "Firefox on Linux"
    assert cookie.value not in row.token_digest  # only a keyed hash on the server
    assert is_signed_in(client)

    sign_out(client)
    response = sign_in(client, enrolled.user.email)
    assert response.status_code == HTTPStatus.FOUND and response.url != reverse(VERIFY)
    assert is_signed_in(client)
    signin = AuditEvent.objects.filter(action=Action.SIGNIN_SUCCEEDED).order_by("-id").first()
    assert signin.detail["second_factor"] == "skipped: trusted browser"
    assert AuditEvent.objects.filter(action=Action.TRUSTED_BROWSER_USED).count() == 1


def test_the_password_is_still_needed(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    sign_out(client)
    response = sign_in(client, enrolled.user.email, "not the password")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not is_signed_in(client)


def test_not_ticking_the_box_trusts_nothing(client, enrolled, unrecognized):
    sign_in(client, enrolled.user.email)
    response = verify(client, current_code(enrolled.secret))
    assert COOKIE_NAME not in response.cookies
    sign_out(client)
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)


def test_a_wrong_code_trusts_nothing(client, enrolled, unrecognized):
    sign_in(client, enrolled.user.email)
    response = verify(client, "000000", trust=True)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert COOKIE_NAME not in response.cookies
    assert not TrustedBrowser.objects.exists()


def test_another_browser_is_not_trusted(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    other = Client()
    assert sign_in(other, enrolled.user.email).url == reverse(VERIFY)


def test_a_second_user_on_the_same_browser_is_not_trusted(
    client, enrolled, enroll, make_user, unrecognized
):
    sign_in_trusting(client, enrolled)
    sign_out(client)
    bob = enroll(make_user("bob@example.com"))
    assert sign_in(client, bob.user.email).url == reverse(VERIFY)  # alice's token is not bob's
    response = verify(client, current_code(bob.secret), trust=True)
    tokens = response.cookies[COOKIE_NAME].value.split(".")
    assert len(tokens) == 2  # each user has their own token in the browser's cookie
    sign_out(client)
    for person in (enrolled, bob):  # both now skip it, each with their own token
        response = sign_in(client, person.user.email)
        assert response.url != reverse(VERIFY)
        sign_out(client)
    # revoking alice's trust leaves bob's
    TrustedBrowser.objects.filter(user=enrolled.user).delete()
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)
    client.post(reverse("twofactor:signout"))
    assert sign_in(client, bob.user.email).url != reverse(VERIFY)


def test_a_role_that_always_requires_the_factor_ignores_trust(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    sign_out(client)
    enrolled.user.role.always_second_factor = True
    enrolled.user.role.save()
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)
    assert OFFER not in text(client.get(reverse(VERIFY)))
    response = verify(client, enrolled.backup_codes[0], trust=True)  # the TOTP step is spent
    assert response.status_code == HTTPStatus.FOUND
    assert TrustedBrowser.objects.filter(user=enrolled.user).count() == 1  # no new one


def test_the_personal_page_mentions_trust_only_to_whom_it_is_offered(
    client, enrolled, unrecognized
):
    """Review finding: the page told an Administrator (always asked) to tick "Trust this browser",
    which their verify page never offers."""
    client.force_login(enrolled.user)
    hint = 'unless you tick "Trust this browser"'
    assert hint in text(client.get(reverse("twofactor:account")))
    enrolled.user.role.always_second_factor = True
    enrolled.user.role.save()
    page = text(client.get(reverse("twofactor:account")))
    assert "No browser is trusted: every sign-in asks for your second factor." in page
    assert hint not in page


def test_the_demo_administrator_role_always_requires_the_factor(admin_role):
    assert admin_role.always_second_factor  # the data migration


def test_switching_back_to_every_signin_asks_again(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    sign_out(client)
    TwoFactorSettings.objects.filter(pk=1).update(enforcement=Enforcement.EVERY_SIGNIN)
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)


def test_a_held_host_login_skips_the_factor_on_a_trusted_browser(client, enrolled, unrecognized):
    token = sign_in_trusting(client, enrolled).cookies[COOKIE_NAME].value
    host = Client()
    host.cookies[COOKIE_NAME] = token
    host.force_login_held(enrolled.user)  # any other login view: the session is held
    response = host.get(reverse("twofactor:account"), HTTP_ACCEPT="text/html")
    assert response.status_code == HTTPStatus.OK
    assert AuditEvent.objects.filter(action=Action.TRUSTED_BROWSER_USED).count() == 1

    untrusted = Client()
    untrusted.force_login_held(enrolled.user)
    response = untrusted.get(reverse("twofactor:account"), HTTP_ACCEPT="text/html")
    assert response.status_code == HTTPStatus.FOUND  # to the second factor


# --- the personal page ------------------------------------------------------------------------


def test_the_personal_page_lists_and_revokes_one(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    page = text(client.get(reverse("twofactor:account")))
    assert "Trusted browsers" in page and "Firefox on Linux" in page and "127.0.0.1" in page
    row = TrustedBrowser.objects.get(user=enrolled.user)
    assert client.get(reverse("twofactor:trusted-revoke", args=[row.pk])).status_code == 405
    url = reverse("twofactor:trusted-revoke", args=[row.pk])
    asked = client.post(url)  # the dialog names the browser and asks for the factor first
    assert "Stop trusting “Firefox on Linux”?" in text(asked)
    assert TrustedBrowser.objects.filter(pk=row.pk).exists()
    confirmed = {"confirmed": "1", "code": enrolled.backup_codes[0]}
    response = client.post(url, confirmed, follow=True)
    assert "The browser is no longer trusted." in text(response)
    assert not TrustedBrowser.objects.exists()
    event = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED)
    assert event.detail == {"browser": "Firefox on Linux"}
    sign_out(client)
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)


def test_one_cannot_revoke_another_users_browser(client, enrolled, make_user, unrecognized):
    sign_in_trusting(client, enrolled)
    row = TrustedBrowser.objects.get()
    mallory = Client()
    mallory.force_login(make_user("mallory@example.com"))
    response = mallory.post(reverse("twofactor:trusted-revoke", args=[row.pk]), follow=True)
    assert "not in your list" in text(response)
    assert TrustedBrowser.objects.filter(pk=row.pk).exists()


def test_revoke_all(client, enrolled, unrecognized):
    sign_in_trusting(client, enrolled)
    second = Client()  # a second browser of the same user
    sign_in_trusting(second, enrolled, at=timezone.now() + timezone.timedelta(seconds=30))
    assert TrustedBrowser.objects.filter(user=enrolled.user).count() == 2
    asked = client.post(reverse("twofactor:trusted-revoke-all"))  # asks, naming them, first
    assert "Stop trusting 2 browsers?" in text(asked) and "Firefox on Linux" in text(asked)
    assert TrustedBrowser.objects.filter(user=enrolled.user).count() == 2
    confirmed = {"confirmed": "1", "code": enrolled.backup_codes[0]}
    response = client.post(reverse("twofactor:trusted-revoke-all"), confirmed, follow=True)
    assert "No browser is trusted any more." in text(response)
    assert not TrustedBrowser.objects.exists()


def test_sign_out_everywhere_ends_every_session_and_revokes_trust(
    client, enrolled, unrecognized, settings
):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0  # other sessions notice at once
    sign_in_trusting(client, enrolled)
    other = Client()
    other.force_login(enrolled.user)
    assert is_signed_in(other)
    response = client.post(reverse("twofactor:sign-out-everywhere"), follow=True)
    assert "You have signed out everywhere." in text(response)
    assert SESSION_KEY not in client.session
    assert not is_signed_in(client)
    assert not is_signed_in(other)
    assert not TrustedBrowser.objects.exists()
    assert AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED).detail["reason"] == (
        "signed out everywhere"
    )
    event = AuditEvent.objects.get(action=Action.SIGNED_OUT_EVERYWHERE)  # its own event
    assert event.actor_id == event.target_id == enrolled.user.pk
    assert event.detail == {"trusted_browsers_revoked": 1}
    assert sign_in(client, enrolled.user.email).url == reverse(VERIFY)


def test_the_personal_page_pages_need_a_signed_in_user(client):
    for name, args in [
        ("twofactor:trusted-revoke", [1]),
        ("twofactor:trusted-revoke-all", []),
        ("twofactor:sign-out-everywhere", []),
    ]:
        response = client.post(reverse(name, args=args))
        assert response.status_code == HTTPStatus.FOUND
        assert "/signin/" in response.url


# --- the Settings tab ---------------------------------------------------------------------------


def _settings_form(policy, **overrides):
    data = {
        "enabled": "on",
        "enrollment_required": "required",
        "max_invalid_attempts": str(policy.max_invalid_attempts),
        "clock_skew_steps": str(policy.clock_skew_steps),
        "backup_codes_per_set": str(policy.backup_codes_per_set),
        "low_codes_threshold": str(policy.low_codes_threshold),
        "issuer_name": "",
    }
    return {**data, **overrides}


def test_the_settings_tab_sets_the_mode_and_days_audited(admin_client, policy):
    page = text(admin_client.get(reverse("twofactor:setup-settings")))
    assert "Every sign-in" in page and "Unrecognized devices only" in page
    assert 'name="trust_days" value="30"' in page
    data = _settings_form(policy, enforcement="unrecognized_devices", trust_days="45")
    response = admin_client.post(reverse("twofactor:setup-settings"), data)
    assert response.status_code == HTTPStatus.FOUND
    policy.refresh_from_db()
    assert (policy.enforcement, policy.trust_days) == ("unrecognized_devices", 45)
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"] == {
        "enforcement": ["every_signin", "unrecognized_devices"],
        "trust_days": [30, 45],
    }


@pytest.mark.parametrize("days", ["0", "91", "-1", "x"])
def test_trust_days_out_of_range_are_refused(admin_client, policy, days):
    data = _settings_form(policy, enforcement="unrecognized_devices", trust_days=days)
    response = admin_client.post(reverse("twofactor:setup-settings"), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    policy.refresh_from_db()
    assert (policy.enforcement, policy.trust_days) == ("every_signin", 30)


def test_an_unknown_mode_is_refused(admin_client, policy):
    response = admin_client.post(
        reverse("twofactor:setup-settings"), _settings_form(policy, enforcement="never")
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- the Overview -------------------------------------------------------------------------------


def test_the_overview_counts_signins_that_skipped_the_factor_in_30_days(
    admin_client, make_user, unrecognized, django_assert_num_queries
):
    from portal2fa.audit.services import Origin, record
    from portal2fa.twofactor.selectors.trusted import trusted_signins

    now = timezone.now()
    someone = make_user()
    for days_ago in (0, 3, 29, 31, 200):  # the last two are older than 30 days
        record(
            Action.TRUSTED_BROWSER_USED,
            Origin(someone, someone, None, now - timezone.timedelta(days=days_ago)),
        )
    record(Action.SIGNIN_SUCCEEDED, Origin(someone, someone, None, now))  # not one of them
    with django_assert_num_queries(1):
        assert trusted_signins(now=now) == 3
    page = text(admin_client.get(reverse("twofactor:setup-overview")))
    assert re.search(r'data-testid="trusted-signins">3</strong> sign-ins skipped', page)
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert data["trusted_signins"] == {"days": 30, "count": 3}  # the JSON and CLI carry it too


def test_the_overview_hides_the_count_in_every_signin_mode_without_any(admin_client, policy):
    page = text(admin_client.get(reverse("twofactor:setup-overview")))
    assert "Sign-ins from trusted browsers" not in page


def test_the_settings_tab_sets_always_require_the_second_factor_per_role(
    admin_client, policy, admin_role, make_role
):
    staff = make_role("Staff")
    page = text(admin_client.get(reverse("twofactor:setup-settings")))
    always = [
        checkbox(role_card(page, r), "roles_always_second_factor") for r in (admin_role, staff)
    ]
    assert re.search(rf'value="{admin_role.pk}"[^>]*checked', always[0])  # the demo's default
    assert not re.search(rf'value="{staff.pk}"[^>]*checked', always[1])
    roles = f"{admin_role.pk},{staff.pk}"
    data = _settings_form(
        policy,
        roles_shown=roles,
        roles_requiring_2fa=[str(admin_role.pk)],
        roles_always_second_factor=[str(staff.pk)],
        roles_always_second_factor_shown="1",
    )
    response = admin_client.post(reverse("twofactor:setup-settings"), data)
    assert response.status_code == HTTPStatus.FOUND
    admin_role.refresh_from_db()
    staff.refresh_from_db()
    assert (admin_role.always_second_factor, staff.always_second_factor) == (False, True)
    changes = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED).detail["changes"]
    assert changes["second factor:Staff"] == ["trusted browsers count", "always"]
    assert changes["second factor:Administrator"] == ["always", "trusted browsers count"]


def test_a_form_without_the_always_field_leaves_the_roles_alone(admin_client, policy, admin_role):
    data = _settings_form(policy, roles_shown=str(admin_role.pk), roles_requiring_2fa=[])
    assert admin_client.post(reverse("twofactor:setup-settings"), data).status_code == 302
    admin_role.refresh_from_db()
    assert admin_role.always_second_factor


def test_the_default_adapter_keeps_always_beside_the_group(db, django_user_model, settings):
    from django.contrib.auth.models import Group

    from portal2fa.twofactor.adapter import DefaultAdapter
    from portal2fa.twofactor.models import GroupRole

    group = Group.objects.create(name="Ops")
    adapter = DefaultAdapter()

    class Member:  # the default adapter reads user.groups
        groups = Group.objects.filter(pk=group.pk)

    assert not adapter.role_always_requires_second_factor(Member())
    assert adapter.set_role_always_second_factor({str(group.pk): True}) == {"Ops": [False, True]}
    assert GroupRole.objects.get(group=group).always_second_factor
    assert adapter.role_always_requires_second_factor(Member())
    assert [r.always_second_factor for r in adapter.roles()] == [True]
