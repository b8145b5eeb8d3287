"""Confirming it is the user before a sensitive change on the personal page, with a passkey.

Generating new backup codes, adding a key and setting up an authenticator app each ask for a
current second factor. A user without an authenticator app (passkeys alone) has no code to give but
a backup code, and one who has used them all would have none: an assertion by one of their keys
confirms it instead. It is checked as the sign-in's is (services/passkeys.verify_assertion: the
signature by py_webauthn, the counter by a conditional UPDATE, a clone refused and audited), under
the per-user lock, and a refused one counts on the account's code budget like a wrong code. What
the confirmation allows (one sensitive change within a few minutes) is the view's session state
(web/step_up.py); `confirmed_refusal` re-checks, at that change, what may have changed since.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from .. import messages
from ..models import Authenticator
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
            return Confirmation(True)
        budget = code_budget.code_failure_count(user, at=at, client_address=client_address)
    message = CLONED if cloned else NOT_ACCEPTED
    if budget:
        return Confirmation(False, f"{message} {budget.message}", locked=budget.locked)
    return Confirmation(False, message)


def confirmed_refusal(user, *, at: datetime) -> str | None:
    """At the change a confirmation allowed: refused if the account's second factor was locked or
    the enrollment reset meanwhile. Call under the user lock (the change's transaction)."""
    refusal = code_budget.code_budget_refusal(user.pk, at=at)
    if refusal:
        return refusal.message
    if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return messages.NOT_ENROLLED
    return None


def still_confirmed(user, *, at: datetime) -> str | None:
    """confirmed_refusal in a transaction of its own (a change that starts a ceremony)."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        return confirmed_refusal(user, at=at)
