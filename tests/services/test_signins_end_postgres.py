"""A security change racing a sign-in's last step, on PostgreSQL with real threads: the sign-in
never outlives the change (its token is refused, or its session holds the generation from before
the change, which ends it), and a browser trusted in that last step is never left trusted."""

from functools import partial

import pytest
from django.utils import timezone

from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.machinery.session_generation import session_generation
from portal2fa.twofactor.models import Enforcement, SignInChallenge, TrustedBrowser
from portal2fa.twofactor.services import trusted_browsers
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue

from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


@pytest.fixture
def unrecognized(set_policy):
    return set_policy(enforcement=Enforcement.UNRECOGNIZED_DEVICES)


def _attempt(token, code):
    return challenge_attempt(token=token, code=code, at=timezone.now())


def _grant(user, policy, generation):
    return trusted_browsers.trusted_browser_grant(
        user=user,
        token=trusted_browsers.new_token(),
        user_agent="Firefox/120",
        at=timezone.now(),
        policy=policy,
        generation=generation,
    )


def _sign_out_everywhere(user):
    return lambda: trusted_browsers.signed_out_everywhere(user=user, at=timezone.now())


def test_a_code_racing_sign_out_everywhere_never_outlives_it(enrolled):
    user = enrolled.user
    for round_ in range(ROUNDS):
        at_password = session_generation(user.pk)  # what the password step keeps in the session
        token = challenge_issue(user=user, at=timezone.now())
        code = enrolled.backup_codes[round_]
        attempt, _ = run_together(
            [
                partial(_attempt, token, code),
                _sign_out_everywhere(user),
            ]
        )
        challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
        assert session_generation(user.pk) > at_password  # a session it logs in ends
        if attempt.ok:
            assert challenge.completed_at is not None
        else:
            assert challenge.completed_at is None and challenge.expires_at <= timezone.now()
    assert not SignInChallenge.objects.filter(
        completed_at=None, expires_at__gt=timezone.now()
    ).exists()


def test_trusting_a_browser_racing_sign_out_everywhere_leaves_none_trusted(enrolled, unrecognized):
    user = enrolled.user
    for _ in range(ROUNDS * 2):
        generation = session_generation(user.pk)  # the signed-in session's
        run_together(
            [
                partial(_grant, user, unrecognized, generation),
                _sign_out_everywhere(user),
            ]
        )
        # the grant went first and its row was revoked after it, or it was refused
        assert not TrustedBrowser.objects.filter(user=user).exists()
