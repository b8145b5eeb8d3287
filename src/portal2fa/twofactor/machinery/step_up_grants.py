"""A confirmation on the personal page, stored: one StepUpGrant row a user, its nonce hashed.

A confirmation (a passkey, or a sign-in with a backup code when nothing else is left) grants one
sensitive change within a few minutes; the change spends the grant under the user's lock.
"""

from datetime import datetime, timedelta

from .. import messages
from ..core import crypto
from ..models import Authenticator, StepUpGrant
from . import code_budget, keys
from .code_budget import user_guard

STEP_UP_LIFETIME = timedelta(minutes=5)
USED_OR_EXPIRED = messages.CONFIRMATION_USED_OR_EXPIRED


def grant(user, *, at: datetime) -> str:
    nonce = crypto.new_token()
    StepUpGrant.objects.update_or_create(
        user=user,
        defaults={"nonce_digest": keys.token_digest(nonce), "until": at + STEP_UP_LIFETIME},
    )
    return nonce


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
    with user_guard(user.pk):
        return confirmed_refusal(user, at=at, nonce=nonce, consume=consume)
