"""Passkeys / security keys (WebAuthn): registration after a step-up, sign-in, clone refusal,
budget counting, rename/remove, and the enrollment reset. Responses come from a software
authenticator (tests/soft_authenticator.py), verified by the product through py_webauthn."""

import json

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import CodeGuessBudget, SignInChallenge, WebAuthnCredential
from portal2fa.twofactor.passkeys import services, verification
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.enrollment import enrollment_reset
from tests.soft_authenticator import SoftAuthenticator, b64url

from .helpers import T0, later, wrong_code


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    """Passkeys need the Settings tab's switch (off on a fresh install)."""
    from portal2fa.twofactor.models import TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


pytestmark = pytest.mark.django_db

RP = verification.RelyingParty(id="testserver", name="Portal", origin="http://testserver")


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def add_key(enrolled, name="Laptop", *, at=None) -> tuple[SoftAuthenticator, WebAuthnCredential]:
    at = at or later(minutes=1)
    assert services.passkey_step_up(user=enrolled.user, code=enrolled.code(at), at=at).ok
    options, challenge = verification.registration_options(user=enrolled.user, rp=RP)
    key = SoftAuthenticator()
    credential = services.passkey_register(
        user=enrolled.user,
        name=name,
        response=key.register(options),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )
    return key, credential


def passkey_sign_in(user, key, *, at, **assertion):
    token = challenge_issue(user=user, at=at)
    options, challenge = verification.authentication_options(user=user, rp=RP)
    return services.challenge_passkey_attempt(
        token=token,
        response=key.assert_(options, **assertion),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )


def test_registration_stores_the_public_key_and_audits(alice):
    key, credential = add_key(alice, "  Work   laptop ")
    stored = WebAuthnCredential.objects.get()
    assert stored.name == "Work laptop" and stored.user == alice.user
    assert bytes(stored.credential_id) == key.credential_id
    assert stored.sign_count == 0 and stored.transports == ["internal"]  # "bogus" dropped
    event = AuditEvent.objects.filter(action=Action.PASSKEY_ADDED).get()
    assert event.detail == {"name": "Work laptop"}


def test_registration_options_exclude_registered_keys_and_prefer_user_verification(alice):
    key, _ = add_key(alice)
    options, _ = verification.registration_options(user=alice.user, rp=RP)
    parsed = json.loads(options)
    assert parsed["authenticatorSelection"]["userVerification"] == "preferred"
    assert [c["id"] for c in parsed["excludeCredentials"]] == [b64url(key.credential_id)]
    assert parsed["rp"] == {"id": "testserver", "name": "Portal"}


def test_step_up_wrong_code_counts_toward_the_account_budget(alice):
    t = later(minutes=1)
    result = services.passkey_step_up(user=alice.user, code=wrong_code(alice.secret, t), at=t)
    assert not result.ok and result.message.startswith("Invalid code.")
    assert CodeGuessBudget.objects.get(pk=alice.user.pk).consecutive_failures == 1


def test_step_up_accepts_a_backup_code_once(alice):
    t = later(minutes=1)
    code = alice.backup_codes[0]
    assert services.passkey_step_up(user=alice.user, code=code, at=t).ok
    assert AuditEvent.objects.filter(action=Action.BACKUP_CODE_USED).count() == 1
    again = services.passkey_step_up(user=alice.user, code=code, at=t)
    assert not again.ok and again.message == "This code was already used."


def test_step_up_refused_when_not_enrolled(user, policy):
    result = services.passkey_step_up(user=user, code="123456", at=T0)
    assert not result.ok and result.message == "Set up your authenticator app first."


@pytest.mark.parametrize(
    "change",
    [
        {"origin": "http://evil.example"},
        {"challenge": b"another challenge"},
    ],
)
def test_registration_from_another_origin_or_challenge_is_refused(alice, change):
    options, challenge = verification.registration_options(user=alice.user, rp=RP)
    key = SoftAuthenticator()
    with pytest.raises(verification.PasskeyError):
        services.passkey_register(
            user=alice.user,
            name="Key",
            response=key.register(options, origin=change.get("origin")),
            expected_challenge=change.get("challenge", challenge),
            rp=RP,
            at=T0,
        )
    assert not WebAuthnCredential.objects.exists()


@pytest.mark.parametrize("response", ["", "not json", "{}", '{"id": 3}', "[]"])
def test_garbage_registration_is_a_clear_refusal(alice, response):
    with pytest.raises(verification.PasskeyError):
        services.passkey_register(
            user=alice.user,
            name="Key",
            response=response,
            expected_challenge=b"x" * 32,
            rp=RP,
            at=T0,
        )


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\tname\x00"])
def test_bad_names_are_refused(alice, name):
    with pytest.raises(verification.PasskeyError):
        services.clean_name(name)


def test_passkey_completes_the_token_and_grows_the_counter(alice):
    key, credential = add_key(alice)
    t = later(minutes=5)
    attempt = passkey_sign_in(alice.user, key, at=t)
    assert attempt.ok and attempt.user_id == alice.user.pk and not attempt.used_backup_code
    assert SignInChallenge.objects.get().completed_at == t
    credential.refresh_from_db()
    assert credential.sign_count == 1 and credential.last_used_at == t
    event = AuditEvent.objects.filter(action=Action.SIGNIN_SUCCEEDED).get()
    assert event.detail == {"factor": "passkey"}


def test_a_replayed_sign_counter_is_refused_as_cloned_and_counted(alice):
    key, credential = add_key(alice)
    assert passkey_sign_in(alice.user, key, at=later(minutes=2)).ok  # counter 1
    WebAuthnCredential.objects.filter(pk=credential.pk).update(sign_count=50)
    attempt = passkey_sign_in(alice.user, key, at=later(minutes=3))  # counter 2 <= 50
    assert not attempt.ok and attempt.message.startswith(services.CLONED)
    assert "remaining" in attempt.message
    credential.refresh_from_db()
    assert credential.sign_count == 50
    clone = AuditEvent.objects.filter(action=Action.PASSKEY_CLONE_REFUSED).get()
    assert clone.detail == {"name": "Laptop", "stored_count": 50, "presented_count": 2}
    assert SignInChallenge.objects.filter(completed_at=None).get().failed_attempts == 1
    assert CodeGuessBudget.objects.get(pk=alice.user.pk).consecutive_failures == 1


def test_the_same_counter_twice_is_refused(alice):
    key, _ = add_key(alice)
    assert passkey_sign_in(alice.user, key, at=later(minutes=2), sign_count=7).ok
    assert not passkey_sign_in(alice.user, key, at=later(minutes=3), sign_count=7).ok


def test_an_authenticator_without_a_counter_stays_at_zero(alice):
    key, credential = add_key(alice)
    assert passkey_sign_in(alice.user, key, at=later(minutes=2), sign_count=0).ok
    assert passkey_sign_in(alice.user, key, at=later(minutes=3), sign_count=0).ok
    credential.refresh_from_db()
    assert credential.sign_count == 0


def test_a_bad_signature_is_a_failed_attempt_on_token_and_budget(alice, set_policy):
    set_policy(max_invalid_attempts=2)
    key, _ = add_key(alice)
    user, t = alice.user, later(minutes=2)
    token = challenge_issue(user=user, at=t)
    for _ in (1, 2):
        options, challenge = verification.authentication_options(user=user, rp=RP)
        attempt = services.challenge_passkey_attempt(
            token=token,
            response=key.assert_(options, tamper=True),
            expected_challenge=challenge,
            rp=RP,
            at=t,
        )
        assert not attempt.ok
    assert attempt.locked
    assert SignInChallenge.objects.get().failed_attempts == 2
    assert CodeGuessBudget.objects.get(pk=user.pk).consecutive_failures == 2
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_LOCKOUT).count() == 1
    # and a good assertion on the locked token is refused
    options, challenge = verification.authentication_options(user=user, rp=RP)
    good = services.challenge_passkey_attempt(
        token=token, response=key.assert_(options), expected_challenge=challenge, rp=RP, at=t
    )
    assert not good.ok and good.locked


def test_first_failure_message_names_the_key_not_a_code(alice):
    key, _ = add_key(alice)
    attempt = passkey_sign_in(alice.user, key, at=later(minutes=2), tamper=True)
    assert attempt.message.startswith(services.NOT_ACCEPTED) and "remaining" in attempt.message


def test_without_the_session_challenge_the_assertion_is_refused(alice):
    key, _ = add_key(alice)
    t = later(minutes=2)
    token = challenge_issue(user=alice.user, at=t)
    options, _ = verification.authentication_options(user=alice.user, rp=RP)
    attempt = services.challenge_passkey_attempt(
        token=token, response=key.assert_(options), expected_challenge=None, rp=RP, at=t
    )
    assert not attempt.ok


def test_another_users_key_is_refused(alice, make_user, enroll):
    bob = enroll(make_user("bob@example.com"), at=T0)
    bobs_key, _ = add_key(bob)
    add_key(alice)
    t = later(minutes=2)
    token = challenge_issue(user=alice.user, at=t)
    options, challenge = verification.authentication_options(user=bob.user, rp=RP)
    attempt = services.challenge_passkey_attempt(
        token=token, response=bobs_key.assert_(options), expected_challenge=challenge, rp=RP, at=t
    )
    assert not attempt.ok
    assert SignInChallenge.objects.get(user=alice.user).completed_at is None


def test_rename_and_remove_only_own_keys(alice, make_user, enroll):
    _, credential = add_key(alice)
    bob = make_user("bob@example.com")
    with pytest.raises(verification.PasskeyError):
        services.passkey_rename(user=bob, pk=credential.pk, name="Mine", at=T0)
    with pytest.raises(verification.PasskeyError):
        services.passkey_remove(user=bob, pk=credential.pk, at=T0, code=alice.backup_codes[0])
    assert (
        services.passkey_rename(user=alice.user, pk=credential.pk, name="Phone", at=T0) == "Laptop"
    )
    assert WebAuthnCredential.objects.get().name == "Phone"
    removed = services.passkey_remove(
        user=alice.user, pk=credential.pk, at=T0, code=alice.backup_codes[0]
    )
    assert removed == "Phone"
    assert not WebAuthnCredential.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.PASSKEY_RENAMED, Action.PASSKEY_REMOVED} <= actions


def test_enrollment_reset_removes_every_passkey(alice, admin_user):
    add_key(alice, "One")
    add_key(alice, "Two", at=later(minutes=2))
    enrollment_reset(actor=admin_user, user=alice.user, at=later(minutes=3))
    assert not WebAuthnCredential.objects.filter(user=alice.user).exists()
    event = AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).get()
    assert event.detail["passkeys_removed"] == 2
