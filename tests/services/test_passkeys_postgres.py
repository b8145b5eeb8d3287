"""Passkey races on PostgreSQL with real threads: one assertion (one sign counter) presented on
eight sign-in tokens at the same instant completes exactly one; the others are refused as clones
(each a failure on the account budget, whose delay then refuses the last ones unchecked)."""

from collections import Counter

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import SignInChallenge, WebAuthnCredential
from portal2fa.twofactor.passkeys import services, verification
from portal2fa.twofactor.services.challenge import challenge_issue

from .helpers import T0, later
from .test_concurrency_postgres import run_together
from .test_passkeys import RP, add_key


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    """Passkeys need the Settings tab's switch (off on a fresh install)."""
    from portal2fa.twofactor.models import TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def test_one_sign_counter_on_eight_tokens_completes_one(alice):
    key, credential = add_key(alice)
    t = later(minutes=2)
    calls = []
    for _ in range(8):
        token = challenge_issue(user=alice.user, at=t)
        options, challenge = verification.authentication_options(user=alice.user, rp=RP)
        response = key.assert_(options, sign_count=5)  # the same counter every time
        calls.append(
            lambda token=token, response=response, challenge=challenge: (
                services.challenge_passkey_attempt(
                    token=token, response=response, expected_challenge=challenge, rp=RP, at=t
                )
            )
        )
    results = run_together(calls)
    assert sum(r.ok for r in results) == 1
    refusals = Counter(r.message.split(".")[0] for r in results if not r.ok)
    # each counts on the account budget: after 5 the rest wait (the budget's delay)
    assert refusals == {
        services.CLONED.split(".")[0]: 5,
        "Too many invalid codes for this account": 2,
    }
    assert SignInChallenge.objects.filter(completed_at__isnull=False).count() == 1
    assert WebAuthnCredential.objects.get().sign_count == 5
    assert AuditEvent.objects.filter(action=Action.PASSKEY_CLONE_REFUSED).count() == 5


def test_parallel_enrollments_with_keys_on_one_token_enroll_once(user, policy):
    """A double click at the enrollment step, or two tabs: eight key registrations on one sign-in
    token at the same instant make one enrollment, one key, one set of codes; the counters agree."""
    from portal2fa.twofactor.machinery import counters
    from portal2fa.twofactor.models import Authenticator, BackupCode
    from portal2fa.twofactor.passkeys.enrollment import passkey_enroll
    from tests.soft_authenticator import SoftAuthenticator

    token = challenge_issue(user=user, at=T0)
    calls = []
    for _ in range(8):
        options, challenge = verification.registration_options(user=user, rp=RP)
        response = SoftAuthenticator().register(options)
        calls.append(
            lambda response=response, challenge=challenge: passkey_enroll(
                token=token,
                name="Key",
                response=response,
                expected_challenge=challenge,
                rp=RP,
                at=T0,
            )
        )
    results = run_together(calls)
    assert sum(r.ok for r in results) == 1
    assert Authenticator.objects.filter(user=user, confirmed_at__isnull=False).count() == 1
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    assert BackupCode.objects.filter(authenticator__user=user).count() == 10
    assert counters.drift() == {}


def test_one_passkey_confirmation_pays_for_one_change_under_a_race(user, policy):
    """Review finding: the confirmation was a session flag, so parallel requests could each use it.
    Its single use is now one conditional DELETE: eight parallel regenerations, one new set."""
    from portal2fa.audit.models import Action, AuditEvent
    from portal2fa.twofactor.passkeys.step_up import step_up_with_passkey
    from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate_confirmed

    from .test_passkey_enrollment import enroll_with_key

    attempt, key, _ = enroll_with_key(user, at=T0)
    options, challenge = verification.authentication_options(user=user, rp=RP)
    confirmed = step_up_with_passkey(
        user=user, response=key.assert_(options), expected_challenge=challenge, rp=RP, at=later(1)
    )
    assert confirmed.ok and confirmed.nonce
    results = run_together(
        [
            lambda: backup_codes_regenerate_confirmed(user=user, nonce=confirmed.nonce, at=later(2))
            for _ in range(8)
        ]
    )
    assert sum(r.ok for r in results) == 1
    assert AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).count() == 1
