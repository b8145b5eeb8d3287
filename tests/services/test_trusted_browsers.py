"""Trusted browsers: the device-token check, grant, use, revoke and what revokes all."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import Enforcement, TrustedBrowser
from portal2fa.twofactor.services import trusted_browsers as service
from portal2fa.twofactor.services.enrollment import enrollment_reset
from portal2fa.twofactor.services.password_change import password_change
from tests.conftest import PASSWORD

UA_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
UA_CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
tokens_strategy = st.text(alphabet=TOKEN_CHARS, min_size=16, max_size=64)


@pytest.fixture
def unrecognized(set_policy):
    return set_policy(enforcement=Enforcement.UNRECOGNIZED_DEVICES, trust_days=30)


def grant(user, policy, *, at=None, token=None):
    token = token or service.new_token()
    service.trusted_browser_grant(
        user=user,
        token=token,
        user_agent=UA_FIREFOX,
        at=at or timezone.now(),
        client_address="192.0.2.1",
        policy=policy,
        generation=0,
    )
    return token


# --- the device-token check: property tests -------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=tokens_strategy, other=tokens_strategy)
def test_only_the_exact_token_of_the_exact_user_passes(make_user, unrecognized, token, other):
    TrustedBrowser.objects.all().delete()
    owner, stranger = make_user(), make_user()
    now = timezone.now()
    grant(owner, unrecognized, at=now, token=token)
    assert (
        service.trusted_browser_match(user=owner, tokens=[token], at=now, trust_days=30) is not None
    )
    # another user presenting the owner's token, on the same browser: never
    assert (
        service.trusted_browser_match(user=stranger, tokens=[token], at=now, trust_days=30) is None
    )
    if other != token:
        assert (
            service.trusted_browser_match(user=owner, tokens=[other], at=now, trust_days=30) is None
        )
    # a token that differs in one character (or its case) never passes
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert (
        service.trusted_browser_match(user=owner, tokens=[flipped], at=now, trust_days=30) is None
    )
    if token.upper() != token:
        assert (
            service.trusted_browser_match(user=owner, tokens=[token.upper()], at=now, trust_days=30)
            is None
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=tokens_strategy, age_days=st.integers(min_value=0, max_value=200))
def test_an_expired_token_never_passes(make_user, unrecognized, token, age_days):
    TrustedBrowser.objects.all().delete()
    owner = make_user()
    granted_at = timezone.now()
    grant(owner, unrecognized, at=granted_at, token=token)
    at = granted_at + timedelta(days=age_days)
    found = service.trusted_browser_match(user=owner, tokens=[token], at=at, trust_days=30)
    assert (found is not None) == (age_days < unrecognized.trust_days)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=tokens_strategy, junk=st.lists(st.text(max_size=80), max_size=5))
def test_a_revoked_token_never_passes_whatever_else_the_cookie_holds(
    make_user, unrecognized, token, junk
):
    TrustedBrowser.objects.all().delete()
    owner = make_user()
    now = timezone.now()
    grant(owner, unrecognized, at=now, token=token)
    browser = TrustedBrowser.objects.get(user=owner)
    assert service.trusted_browser_revoke(user=owner, browser_id=browser.pk, at=now)
    assert (
        service.trusted_browser_match(user=owner, tokens=[*junk, token], at=now, trust_days=30)
        is None
    )


def test_the_server_keeps_only_a_keyed_hash(user, unrecognized):
    token = grant(user, unrecognized)
    row = TrustedBrowser.objects.get(user=user)
    assert token not in row.token_digest
    assert row.token_digest == keys.trusted_browser_digest(token) != token
    assert len(row.token_digest) == 64


def test_two_users_on_one_browser_each_have_their_own(make_user, unrecognized):
    alice, bob = make_user(), make_user()
    now = timezone.now()
    token_a, token_b = grant(alice, unrecognized, at=now), grant(bob, unrecognized, at=now)
    cookie = [token_a, token_b]
    assert (
        service.trusted_browser_match(user=alice, tokens=cookie, at=now, trust_days=30).user_id
        == alice.pk
    )
    assert (
        service.trusted_browser_match(user=bob, tokens=cookie, at=now, trust_days=30).user_id
        == bob.pk
    )
    service.trusted_browsers_revoke_all(user=alice, at=now, reason="test")
    assert service.trusted_browser_match(user=alice, tokens=cookie, at=now, trust_days=30) is None
    assert service.trusted_browser_match(user=bob, tokens=cookie, at=now, trust_days=30) is not None


def test_malformed_tokens_are_refused_at_grant(user, unrecognized):
    for bad in ("short", "x" * 65, "has space in it here", "ü" * 20):
        with pytest.raises(ValueError):
            grant(user, unrecognized, token=bad)


# --- grant, use, revoke: audited --------------------------------------------------------------


def test_grant_names_the_browser_and_expires_after_the_policy_days(user, set_policy):
    policy = set_policy(enforcement=Enforcement.UNRECOGNIZED_DEVICES, trust_days=7)
    now = timezone.now()
    service.trusted_browser_grant(
        user=user,
        token=service.new_token(),
        user_agent=UA_CHROME_MAC,
        at=now,
        policy=policy,
        generation=0,
    )
    row = TrustedBrowser.objects.get(user=user)
    assert row.name == "Chrome on macOS"
    assert row.expires_at == now + timedelta(days=7)
    event = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_ADDED)
    assert event.target_id == user.pk and event.detail == {"browser": "Chrome on macOS", "days": 7}


@pytest.mark.parametrize(
    "agent,name",
    [
        (UA_FIREFOX, "Firefox on Linux"),
        (UA_CHROME_MAC, "Chrome on macOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("", "Unknown browser"),
    ],
)
def test_browser_name(agent, name):
    assert service.browser_name(agent) == name


def test_use_updates_last_used_and_audits_the_skipped_factor(user, unrecognized):
    token = grant(user, unrecognized)
    later = timezone.now() + timedelta(days=2)
    found = service.trusted_browser_use(
        user=user,
        tokens=[token],
        at=later,
        trust_days=30,
        client_address="198.51.100.9",
        first_factor="password",
    )
    assert found is not None
    row = TrustedBrowser.objects.get(user=user)
    assert (row.last_used_at, row.last_address) == (later, "198.51.100.9")
    signin = AuditEvent.objects.get(action=Action.SIGNIN_SUCCEEDED)
    assert signin.detail["second_factor"] == "skipped: trusted browser"
    assert AuditEvent.objects.filter(action=Action.TRUSTED_BROWSER_USED).count() == 1


def test_use_with_an_unknown_token_records_nothing(user, unrecognized):
    grant(user, unrecognized)
    before = AuditEvent.objects.count()
    found = service.trusted_browser_use(
        user=user,
        tokens=[service.new_token()],
        at=timezone.now(),
        trust_days=30,
        first_factor="password",
    )
    assert found is None
    assert AuditEvent.objects.count() == before


def test_trust_applies_only_in_the_unrecognized_mode_and_not_for_always_roles(
    user, policy, set_policy
):
    assert not service.trust_applies(user, policy)  # default: every sign-in
    policy = set_policy(enforcement=Enforcement.UNRECOGNIZED_DEVICES)
    assert service.trust_applies(user, policy)
    user.role.always_second_factor = True
    user.role.save()
    assert not service.trust_applies(user, policy)


def test_revoke_never_touches_another_users_browser(make_user, unrecognized):
    alice, bob = make_user(), make_user()
    grant(bob, unrecognized)
    bobs = TrustedBrowser.objects.get(user=bob)
    assert not service.trusted_browser_revoke(user=alice, browser_id=bobs.pk, at=timezone.now())
    assert TrustedBrowser.objects.filter(pk=bobs.pk).exists()


def test_an_enrollment_reset_revokes_them_all(enrolled, admin_user, unrecognized):
    grant(enrolled.user, unrecognized)
    grant(enrolled.user, unrecognized)
    enrollment_reset(actor=admin_user, user=enrolled.user, at=timezone.now())
    assert not TrustedBrowser.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED)
    assert event.detail == {"count": 2, "reason": "enrollment reset"}
    assert event.actor_id == admin_user.pk


def test_a_password_change_revokes_them_all(enrolled, unrecognized):
    grant(enrolled.user, unrecognized)
    now = timezone.now()
    result = password_change(
        user=enrolled.user,
        current_password=PASSWORD,
        new_password="a new and rather long passphrase",
        code=enrolled.code(now),
        at=now,
    )
    assert result.ok, result.errors
    assert not TrustedBrowser.objects.filter(user=enrolled.user).exists()
    assert AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED).detail["reason"] == (
        "password changed"
    )


def test_a_deactivation_revokes_them_all_with_no_person_as_actor(enrolled, unrecognized):
    """Trust must not resume if the account is reactivated later."""
    grant(enrolled.user, unrecognized)
    enrolled.user.is_active = False
    enrolled.user.save()
    assert not TrustedBrowser.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED)
    assert event.detail == {"count": 1, "reason": "account deactivated"}
    assert event.actor_id is None


def test_a_reset_from_the_cli_records_no_person_as_the_revoker(enrolled, unrecognized):
    grant(enrolled.user, unrecognized)
    enrollment_reset(actor=None, user=enrolled.user, at=timezone.now())
    assert AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED).actor_id is None


# --- any change of the password hash revokes them, wherever it comes from ----------------------

NEW_PASSWORD = "a new and rather long passphrase 42"


def _set_and_save(user):
    user.set_password(NEW_PASSWORD)
    user.save()


def _set_and_save_the_field(user):
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])


def _hash_assigned(user):
    from django.contrib.auth.hashers import make_password

    user.password = make_password(NEW_PASSWORD)
    user.save()


def _the_clis_password_stdin(user):
    import io
    import sys

    from portal2fa.cli import main

    real = sys.stdin
    sys.stdin = io.StringIO(NEW_PASSWORD + "\n")
    try:
        assert main(["user", "set", user.email, "--password-stdin"]) in (0, None)
    finally:
        sys.stdin = real


def _djangos_admin_password_form(user):
    from django.contrib.auth.forms import AdminPasswordChangeForm

    form = AdminPasswordChangeForm(user, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert form.is_valid(), form.errors
    form.save()


@pytest.mark.parametrize(
    "change",
    [
        _set_and_save,
        _set_and_save_the_field,
        _hash_assigned,
        _the_clis_password_stdin,
        _djangos_admin_password_form,
    ],
    ids=lambda change: change.__name__.strip("_"),
)
def test_any_change_of_the_password_hash_revokes_them_all(enrolled, unrecognized, change):
    grant(enrolled.user, unrecognized)
    other = grant(enrolled.user, unrecognized)
    change(enrolled.user)
    enrolled.user.refresh_from_db()
    assert enrolled.user.check_password(NEW_PASSWORD)
    assert not TrustedBrowser.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action=Action.TRUSTED_BROWSER_REVOKED)
    assert event.detail == {"count": 2, "reason": "password changed"} and event.actor_id is None
    assert other  # both tokens were live before


def test_a_save_that_keeps_the_password_hash_keeps_them(enrolled, unrecognized):
    grant(enrolled.user, unrecognized)
    enrolled.user.full_name = "Alice Renamed"
    enrolled.user.save()
    enrolled.user.last_login = timezone.now()
    enrolled.user.save(update_fields=["last_login"])
    assert TrustedBrowser.objects.filter(user=enrolled.user).count() == 1


# --- lowering "Trust a browser for (days)" shortens trust already given ------------------------


def test_lowering_the_days_shortens_trust_already_given(enrolled, unrecognized, admin_user):
    from portal2fa.twofactor.services.settings import settings_update

    given = timezone.now() - timedelta(days=10)
    token = grant(enrolled.user, unrecognized, at=given)  # 30 days: until 20 days from now
    assert trusted(enrolled.user, token, days=30)
    settings_update(actor=admin_user, changes={"trust_days": 7}, at=timezone.now())
    assert not trusted(enrolled.user, token, days=7)  # given 10 days ago: over
    row = TrustedBrowser.objects.get()
    assert row.expires_at == given + timedelta(days=7)  # the lists show the shorter trust
    settings_update(actor=admin_user, changes={"trust_days": 30}, at=timezone.now())
    assert TrustedBrowser.objects.get().expires_at == given + timedelta(days=7)  # never longer


def test_a_grant_that_read_the_old_days_never_outlives_the_new_setting(enrolled, unrecognized):
    """The grant read 30 days, the setting became 3 before its row was in: the check caps it."""
    given = timezone.now() - timedelta(days=4)
    token = grant(enrolled.user, unrecognized, at=given)
    assert TrustedBrowser.objects.get().expires_at == given + timedelta(days=30)
    assert trusted(enrolled.user, token, days=5)
    assert not trusted(enrolled.user, token, days=3)
    used = service.trusted_browser_use(
        user=enrolled.user,
        tokens=[token],
        at=timezone.now(),
        trust_days=3,
        first_factor="password",
    )
    assert used is None


def trusted(user, token, *, days) -> bool:
    found = service.trusted_browser_match(
        user=user, tokens=[token], at=timezone.now(), trust_days=days
    )
    return found is not None
