"""Email codes: expiry, single use, resend limit and throttle, lockout and budget
counting through the same token and account budget as any code, hashed storage, methods."""

import re

import pytest
from django.core import mail
from django.test import override_settings

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.core import methods
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.machinery.policy import allowed_methods
from portal2fa.twofactor.models import CodeGuessBudget, EmailCode, GroupRole, SignInChallenge
from portal2fa.twofactor.selectors.email_codes import NOT_AVAILABLE, codes_available
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_attempt, email_code_send

from .helpers import T0, later

pytestmark = pytest.mark.django_db

LOCKED = "Too many invalid attempts. Start a new sign-in."
USED = "This code was already used."


@pytest.fixture
def alice(user, enroll, set_policy):
    set_policy(email_codes_allowed=True)
    return enroll(user, at=T0)


def start(alice, at=None):
    at = at or later(minutes=1)
    token = challenge_issue(user=alice.user, at=at)
    return token, SignInChallenge.objects.get(token_digest=keys.token_digest(token))


def sent_code(index=-1) -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[index].body).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_code_is_mailed_and_signs_in_once(alice):
    token, challenge = start(alice)
    sent = email_code_send(challenge=challenge, at=later(minutes=1))
    assert sent.ok and sent.address == "a***@example.com"
    assert mail.outbox[0].to == ["alice@example.com"]
    code = sent_code()
    result = email_code_attempt(token=token, code=code, at=later(minutes=2))
    assert result.ok
    assert AuditEvent.objects.get(action=Action.SIGNIN_SUCCEEDED).detail["factor"] == "email"
    # the same code again (the token is spent; a fresh token has no code of its own)
    assert not email_code_attempt(token=token, code=code, at=later(minutes=2)).ok


def test_only_a_keyed_hash_is_stored(alice):
    _, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    row = EmailCode.objects.get()
    assert code not in row.digest
    assert row.digest == keys.email_code_digest(challenge.pk, code)
    assert len(row.digest) == 64


def test_code_expires_after_ten_minutes(alice):
    token, challenge = start(alice, at=later(minutes=1))
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    # the token lives 10 minutes too; a code sent later in the sign-in outlives it never
    result = email_code_attempt(token=token, code=code, at=later(minutes=11, seconds=-1))
    assert result.ok


def test_expired_code_is_refused_and_not_charged_to_the_account(alice):
    token, challenge = start(alice, at=later(minutes=1))
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    EmailCode.objects.update(expires_at=later(minutes=3))  # a shorter life, same token
    result = email_code_attempt(token=token, code=code, at=later(minutes=3))
    assert not result.ok
    assert result.message == "This email code has expired. Send a new code."
    assert SignInChallenge.objects.get().failed_attempts == 1
    assert not CodeGuessBudget.objects.filter(consecutive_failures__gt=0).exists()


@override_settings(PORTAL2FA_EMAIL_CODE_MINUTES=2)
def test_lifetime_is_a_setting_and_the_clock_is_the_callers(alice):
    token, challenge = start(alice, at=later(minutes=1))
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    assert not email_code_attempt(token=token, code=code, at=later(minutes=3)).ok
    assert EmailCode.objects.get().used_at is None


def test_resend_replaces_the_code_and_is_throttled_and_limited(alice):
    token, challenge = start(alice)
    assert email_code_send(challenge=challenge, at=later(minutes=1)).ok
    first = sent_code()
    too_soon = email_code_send(challenge=challenge, at=later(minutes=1, seconds=29))
    assert not too_soon.ok and too_soon.message == "Wait 1 seconds before sending another code."
    assert len(mail.outbox) == 1
    second = email_code_send(challenge=challenge, at=later(minutes=1, seconds=30))
    assert second.ok and second.sends_left == 1
    assert email_code_send(challenge=challenge, at=later(minutes=2)).ok
    refused = email_code_send(challenge=challenge, at=later(minutes=5))
    assert not refused.ok and refused.message.startswith("No more codes can be sent")
    assert len(mail.outbox) == 3 and EmailCode.objects.get().sends == 3
    latest = sent_code()
    if first != latest:  # only the newest code works
        assert not email_code_attempt(token=token, code=first, at=later(minutes=5)).ok
    assert email_code_attempt(token=token, code=latest, at=later(minutes=5)).ok


@override_settings(PORTAL2FA_EMAIL_CODE_SENDS=1)
def test_send_limit_is_a_setting(alice):
    _, challenge = start(alice)
    assert email_code_send(challenge=challenge, at=later(minutes=1)).ok
    assert not email_code_send(challenge=challenge, at=later(minutes=3)).ok
    assert len(mail.outbox) == 1


def test_wrong_email_codes_lock_the_token_like_any_code(alice, set_policy):
    set_policy(max_invalid_attempts=3)
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    at = later(minutes=2)
    email_code_attempt(token=token, code=wrong(code), at=at)
    challenge_attempt(token=token, code="000000" if code != "000000" else "111111", at=at)
    third = email_code_attempt(token=token, code=wrong(code), at=at)
    assert third.locked and third.message == LOCKED
    # the right code no longer helps: the token is locked
    assert email_code_attempt(token=token, code=code, at=at).message == LOCKED
    assert SignInChallenge.objects.get().failed_attempts == 3


def test_wrong_email_codes_count_toward_the_account_budget(alice):
    at = later(minutes=2)
    for _ in range(2):
        token, challenge = start(alice)
        email_code_send(challenge=challenge, at=later(minutes=1))
        email_code_attempt(token=token, code=wrong(sent_code()), at=at)
    assert CodeGuessBudget.objects.get(user=alice.user).consecutive_failures == 2
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    assert email_code_attempt(token=token, code=sent_code(), at=at).ok
    assert CodeGuessBudget.objects.get(user=alice.user).consecutive_failures == 0


def test_no_code_is_sent_while_the_account_is_locked(alice):
    CodeGuessBudget.objects.create(user=alice.user, consecutive_failures=100, locked_at=T0)
    _, challenge = start(alice)
    sent = email_code_send(challenge=challenge, at=later(minutes=1))
    assert not sent.ok and "locked" in sent.message
    assert mail.outbox == [] and not EmailCode.objects.exists()


def test_account_lock_refuses_even_the_right_email_code(alice):
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    CodeGuessBudget.objects.create(user=alice.user, consecutive_failures=100, locked_at=T0)
    result = email_code_attempt(token=token, code=sent_code(), at=later(minutes=2))
    assert not result.ok and result.locked
    assert EmailCode.objects.get().used_at is None


def test_an_email_code_is_bound_to_its_sign_in(alice):
    token1, challenge1 = start(alice)
    email_code_send(challenge=challenge1, at=later(minutes=1))
    code = sent_code()
    token2, _ = start(alice)
    assert not email_code_attempt(token=token2, code=code, at=later(minutes=2)).ok


def test_the_code_is_never_logged(alice, caplog):
    caplog.set_level("DEBUG")
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    email_code_attempt(token=token, code=wrong(code), at=later(minutes=2))
    email_code_attempt(token=token, code=code, at=later(minutes=2))
    assert code not in caplog.text
    assert all(code not in str(event.detail) for event in AuditEvent.objects.all())


# ---- methods: the Settings tab and the roles ----


def test_not_available_when_switched_off(alice, set_policy):
    set_policy(email_codes_allowed=False)
    token, challenge = start(alice)
    assert email_code_send(challenge=challenge, at=later(minutes=1)).message == NOT_AVAILABLE
    assert mail.outbox == []
    assert email_code_attempt(token=token, code="123456", at=later(minutes=1)).message == (
        NOT_AVAILABLE
    )
    assert SignInChallenge.objects.get().failed_attempts == 0


def test_a_role_that_forbids_email_makes_it_unavailable_even_after_sending(alice):
    token, challenge = start(alice)
    email_code_send(challenge=challenge, at=later(minutes=1))
    code = sent_code()
    role = alice.user.role
    role.second_factor_methods = ["passkey"]
    role.save()
    result = email_code_attempt(token=token, code=code, at=later(minutes=2))
    assert not result.ok and result.message == NOT_AVAILABLE


def test_no_email_address_no_email_code(alice):
    type(alice.user).objects.filter(pk=alice.user.pk).update(email="")
    alice.user.refresh_from_db()
    assert not codes_available(alice.user)


def test_methods_combine_is_the_strictest_role_requiring_2fa():
    both = ["email", "passkey"]
    assert methods.combine([]) == {"email", "passkey", "sms"}
    assert methods.combine([(True, ["passkey"]), (False, [])]) == {"passkey"}
    assert methods.combine([(True, both), (True, ["email"])]) == {"email"}
    assert methods.combine([(False, ["email"]), (False, both)]) == {"email"}


def test_allowed_methods_intersect_the_site_and_the_role(alice, set_policy):
    policy = set_policy(email_codes_allowed=True, passkeys_allowed=False)
    assert allowed_methods(alice.user, policy) == {"totp", "email"}
    role = alice.user.role
    role.second_factor_methods = []
    role.save()
    assert allowed_methods(alice.user, policy) == {"totp"}


def test_administrator_role_forbids_email_codes_in_the_demo(admin_user, set_policy):
    policy = set_policy(email_codes_allowed=True, passkeys_allowed=True)
    assert allowed_methods(admin_user, policy) == {"totp", "passkey"}


def test_default_adapter_keeps_methods_beside_the_group(django_user_model, db):
    from django.contrib.auth.models import Group

    from portal2fa.twofactor.adapter import DefaultAdapter

    strict = Group.objects.create(name="Admins")
    GroupRole.objects.create(group=strict, requires_2fa=True, methods=["passkey"])
    loose = Group.objects.create(name="Everyone")
    adapter = DefaultAdapter()

    class Member:  # any object with .groups answers as a user of the default adapter
        def __init__(self, *groups):
            self.groups = Group.objects.filter(pk__in=[g.pk for g in groups])

    assert adapter.role_methods(Member(strict, loose)) == {"passkey"}
    assert adapter.role_methods(Member(loose)) == {"email", "passkey", "sms"}
    changed = adapter.set_role_methods({str(loose.pk): ["email"], str(strict.pk): ["passkey"]})
    assert changed == {"Everyone": ["email,passkey,sms", "email"]}
    assert adapter.role_methods(Member(loose)) == {"email"}
