"""Confirming it is the user before a sensitive change on the personal page, with a passkey.

Generating new backup codes, adding a key and setting up an authenticator app each ask for a
current second factor. A user without an authenticator app (passkeys alone) has no code to give but
a backup code, and one who has used them all would have none: an assertion by one of their keys
confirms it instead. It is checked as the sign-in's is (services/passkeys.verify_assertion: the
signature by py_webauthn, the counter by a conditional UPDATE, a clone refused and audited), under
the per-user lock, and a refused one counts on the account's code budget like a wrong code.

A confirmation allows one sensitive change within STEP_UP_LIFETIME: a StepUpGrant row holds the
keyed hash of a nonce the session keeps (web/step_up.py), and the change consumes it with one
conditional DELETE in its own transaction (`confirmed_refusal`), so two parallel changes cannot
both use one confirmation. It re-checks, at that change, what may have changed since.

A user who has nothing to confirm with (no app, no passkey they may use) and signs in with a
backup code gets a confirmation with that sign-in (`grant_after_backup_code`): otherwise one whose
passkeys a role has since forbidden could never set up an app once the codes ran out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from .. import crypto, keys, messages
from ..models import Authenticator, StepUpGrant
from . import code_budget
from . import codes as code_checks
from .passkeys import (
    CLONED,
    NO_PASSKEYS,
    NOT_ACCEPTED,
    NOT_ALLOWED,
    RelyingParty,
    has_passkeys,
    passkeys_usable,
    verify_assertion,
)


@dataclass(frozen=True)
class Confirmation:
    ok: bool
    message: str = ""
    locked: bool = False
    nonce: str = ""  # for the session, when ok


STEP_UP_LIFETIME = timedelta(minutes=5)
USED_OR_EXPIRED = messages.CONFIRMATION_USED_OR_EXPIRED


def _grant(user, *, at: datetime) -> str:
    nonce = crypto.new_token()
    StepUpGrant.objects.update_or_create(
        user=user,
        defaults={"nonce_digest": keys.token_digest(nonce), "until": at + STEP_UP_LIFETIME},
    )
    return nonce


def _refusal(user, at: datetime) -> Confirmation | None:
    """Why the user cannot confirm with a key now (call under the user lock), or None."""
    refusal = code_budget.code_budget_refusal(user.pk, at=at)
    if refusal:
        return Confirmation(False, refusal.message, locked=refusal.locked)
    if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return Confirmation(False, messages.NOT_ENROLLED)
    if not passkeys_usable(user):  # the Settings tab or a role of theirs forbids passkeys
        return Confirmation(False, NOT_ALLOWED)
    if not has_passkeys(user):
        return Confirmation(False, NO_PASSKEYS)
    return None


def step_up_refusal(user, *, at: datetime) -> Confirmation | None:
    """Whether a confirmation may start (the options): nothing is written."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        return _refusal(user, at)


def step_up_with_passkey(
    *,
    user,
    response: str,
    expected_challenge: bytes | None,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
) -> Confirmation:
    """An assertion by one of the user's keys, against the challenge kept for this page."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
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
            return Confirmation(True, nonce=_grant(user, at=at))
        budget = code_budget.code_failure_count(user, at=at, client_address=client_address)
    message = CLONED if cloned else NOT_ACCEPTED
    if budget:
        return Confirmation(False, f"{message} {budget.message}", locked=budget.locked)
    return Confirmation(False, message)


def grant_after_backup_code(user, *, at: datetime) -> str | None:
    """A sign-in just passed with a backup code: a confirmation (its nonce) when the user has
    nothing else to confirm with, else None."""
    enrollment = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
    if enrollment is None or enrollment.has_app:
        return None
    if enrollment.passkeys and passkeys_usable(user):
        return None
    with transaction.atomic():
        return _grant(user, at=at)


def confirmed_refusal(user, *, at: datetime, nonce: str, consume: bool = True) -> str | None:
    """At the change a confirmation allowed: consumes it (one conditional DELETE), refused if it
    was used or expired, or the account's second factor was locked or the enrollment reset
    meanwhile. Call under the user lock, in the change's transaction. consume=False: the same
    answer, nothing spent (a change that starts a ceremony and is made at its end)."""
    grants = StepUpGrant.objects.filter(
        user=user, nonce_digest=keys.token_digest(nonce or ""), until__gt=at
    )
    if not (grants.delete()[0] if consume else grants.exists()):
        return USED_OR_EXPIRED
    refusal = code_budget.code_budget_refusal(user.pk, at=at)
    if refusal:
        return refusal.message
    if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return messages.NOT_ENROLLED
    return None


def confirmation_open(user, *, at: datetime, nonce: str) -> bool:
    """Is this confirmation still there to use (for the page's display; nothing is locked or
    spent)? False once used, replaced by a newer one (another browser) or expired."""
    return StepUpGrant.objects.filter(
        user=user, nonce_digest=keys.token_digest(nonce or ""), until__gt=at
    ).exists()


def still_confirmed(user, *, at: datetime, nonce: str, consume: bool = True) -> str | None:
    """confirmed_refusal in a transaction of its own (a change that starts a ceremony)."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        return confirmed_refusal(user, at=at, nonce=nonce, consume=consume)
