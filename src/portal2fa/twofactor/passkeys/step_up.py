"""Confirming it is the user before a sensitive change on the personal page, with a passkey.

Generating new backup codes, adding a key and setting up an authenticator app each ask for a
current second factor. A user without an authenticator app (passkeys alone) has no code to give but
a backup code, and one who has used them all would have none: an assertion by one of their keys
confirms it instead. It is checked as the sign-in's is (passkeys/verification.verify_assertion: the
signature by py_webauthn, the counter by a conditional UPDATE, a clone refused and audited), under
the per-user lock, and a refused one counts on the account's code budget like a wrong code.

A confirmation allows one sensitive change within STEP_UP_LIFETIME: a StepUpGrant row holds the
keyed hash of a nonce the session keeps (web/confirmation.py), and the change consumes it with one
conditional DELETE in its own transaction (`confirmed_refusal`), so two parallel changes cannot
both use one confirmation. It re-checks, at that change, what may have changed since.

A user who has nothing to confirm with (no app, no passkey they may use) and signs in with a
backup code gets a confirmation with that sign-in (`grant_after_backup_code`): otherwise one whose
passkeys a role has since forbidden could never set up an app once the codes ran out.
"""

from datetime import datetime

from django.db import transaction

from .. import messages
from ..machinery import code_budget
from ..machinery.code_budget import user_guard
from ..machinery.outcome import Outcome
from ..machinery.step_up_grants import grant
from ..models import Authenticator
from .selectors import NOT_ALLOWED, has_passkeys, passkeys_usable
from .services import CLONED, NO_PASSKEYS, NOT_ACCEPTED
from .verification import RelyingParty, verify_assertion


def _refusal(user, at: datetime) -> Outcome | None:
    """Why the user cannot confirm with a key now (call under the user lock), or None."""
    refusal = code_budget.code_budget_refusal(user.pk, at=at)
    if refusal:
        return Outcome(False, refusal.message, locked=refusal.locked)
    if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return Outcome(False, messages.NOT_ENROLLED)
    if not passkeys_usable(user):  # the Settings tab or a role of theirs forbids passkeys
        return Outcome(False, NOT_ALLOWED)
    if not has_passkeys(user):
        return Outcome(False, NO_PASSKEYS)
    return None


def step_up_refusal(user, *, at: datetime) -> Outcome | None:
    """Whether a confirmation may start (the options): nothing is written."""
    with user_guard(user.pk):
        return _refusal(user, at)


def step_up_with_passkey(
    *,
    user,
    response: str,
    expected_challenge: bytes | None,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
) -> Outcome:
    """An assertion by one of the user's keys, against the challenge kept for this page."""
    with user_guard(user.pk):
        refusal = _refusal(user, at)
        if refusal:
            return refusal
        verified, cloned = verify_assertion(
            user,
            response,
            expected_challenge=expected_challenge,
            rp=rp,
            at=at,
            client_address=client_address,
        )
        if verified:
            code_budget.code_success(user.pk)
            return Outcome(True, nonce=grant(user, at=at))
        budget = code_budget.code_failure_count(user, at=at, client_address=client_address)
    message = CLONED if cloned else NOT_ACCEPTED
    if budget:
        return Outcome(False, f"{message} {budget.message}", locked=budget.locked)
    return Outcome(False, message)


def grant_after_backup_code(user, *, at: datetime) -> str | None:
    """A sign-in just passed with a backup code: a confirmation (its nonce) when the user has
    nothing else to confirm with, else None."""
    enrollment = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
    if enrollment is None or enrollment.has_app:
        return None
    if enrollment.passkeys and passkeys_usable(user):
        return None
    with transaction.atomic():
        return grant(user, at=at)
