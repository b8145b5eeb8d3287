"""The sign-in security token (SPEC §6.3): issued on password success, spent by the second factor.

The token is random, stored only as a keyed hash, bound to the browser session (the session holds
the clear token), expires after 10 minutes and locks at the policy's Maximum Invalid Attempts.
The attempt counter only grows, through a conditional UPDATE, so a lock holds under concurrency.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, OuterRef

from ...audit.models import Action
from ...audit.services import record
from .. import crypto, keys, messages
from ..models import Authenticator, ReenrollmentDue, SignInChallenge
from ..policy import get_settings
from . import code_budget
from . import codes as code_checks
from .clock_skew import skew_hint, suspected_skew
from .enrollment import confirm_pending
from .sessions import generation_of, note_generation

TOKEN_LIFETIME = timedelta(minutes=10)

EXPIRED, LOCKED, USED = messages.EXPIRED, messages.LOCKED, messages.USED


@dataclass(frozen=True)
class Attempt:
    ok: bool
    message: str = ""
    locked: bool = False
    user_id: int | None = None
    backup_codes: tuple[str, ...] = ()  # a new set, when this attempt completed an enrollment
    used_backup_code: bool = False


def challenge_issue(*, user, at: datetime, client_address: str | None = None) -> str:
    """A new token with its counter at zero. Returns the clear token for the session."""
    token = crypto.new_token()
    # Spent and expired tokens of this user are of no further use (the audit log keeps the story).
    SignInChallenge.objects.filter(user=user, expires_at__lte=at).delete()
    SignInChallenge.objects.create(
        token_digest=keys.token_digest(token),
        user=user,
        created_at=at,
        expires_at=at + TOKEN_LIFETIME,
        max_attempts=get_settings().max_invalid_attempts,
        client_address=client_address,
    )
    return token


def challenge_load(token: str | None, *, at: datetime) -> SignInChallenge | None:
    """The live (not expired, not completed) challenge for a token, else None."""
    if not token:
        return None
    challenge = (  # the user and their authenticator in the same read (next_step uses it)
        SignInChallenge.objects.select_related("user", "user__authenticator")
        .filter(token_digest=keys.token_digest(token), completed_at=None, expires_at__gt=at)
        .first()
    )
    if challenge is None or not getattr(challenge.user, "is_active", True):
        return None  # deactivated mid-sign-in: the token dies with the account
    return challenge


def _complete(challenge: SignInChallenge, *, at: datetime) -> bool:
    """One conditional UPDATE: never a spent, locked or expired token (a security change expires
    the user's live tokens: services/sessions.py signins_end)."""
    return bool(
        SignInChallenge.objects.filter(
            pk=challenge.pk,
            completed_at=None,
            failed_attempts__lt=F("max_attempts"),
            expires_at__gt=at,
        ).update(completed_at=at)
    )


def ended(challenge: SignInChallenge, *, at: datetime) -> bool:
    """Spent, or expired (its time, or a security change ended it): no factor, no send."""
    return bool(challenge.completed_at) or challenge.expires_at <= at


def _count_failure(
    challenge: SignInChallenge,
    check: code_checks.CodeCheck,
    *,
    at: datetime,
    client_address,
    skew: int | None = None,
) -> Attempt:
    SignInChallenge.objects.filter(pk=challenge.pk, failed_attempts__lt=F("max_attempts")).update(
        failed_attempts=F("failed_attempts") + 1
    )
    challenge.refresh_from_db(fields=["failed_attempts"])
    user = challenge.user
    refusal = None
    if check is not code_checks.CodeCheck.USED:  # a replayed code is no guess at the secret
        refusal = code_budget.code_failure_count(user, at=at, client_address=client_address)
    record(
        Action.SECOND_FACTOR_FAILED,
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
        attempt=challenge.failed_attempts,
        **({"clock_skew_steps": skew} if skew is not None else {}),
    )
    hint = f" {skew_hint(skew)}" if skew is not None else ""
    if challenge.locked:
        record(
            Action.SECOND_FACTOR_LOCKOUT,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
        )
        return Attempt(False, LOCKED + hint, locked=True)
    if refusal:  # the account's budget now says wait, or is locked: say so at once
        return Attempt(False, f"Invalid code.{hint} {refusal.message}", locked=refusal.locked)
    remaining = challenge.max_attempts - challenge.failed_attempts
    return Attempt(False, messages.invalid_with_remaining(remaining) + hint)


def _lock_and_reread(challenge: SignInChallenge, *, with_generation: bool = False):
    """Take the per-user lock (codes.serialize_code_checks), then re-read under it, in one
    statement, the challenge's counters, the user's authenticator and the account's code budget
    (with_generation: and the user's session generation, noted on the user for a login that
    follows in this request, services/sessions.py).

    Two statements, not one: on PostgreSQL a SELECT .. FOR UPDATE that waits for the lock returns
    the rows of the snapshot it started with, so counters read in the locking statement would be
    those from before the transaction it waited for. Returns (challenge, authenticator, budget).
    """
    code_checks.serialize_code_checks(challenge.user_id)
    fresh = SignInChallenge.objects.select_related(
        "user", "user__authenticator", "user__portal2fa_code_budget"
    )
    if with_generation:
        fresh = fresh.annotate(portal2fa_generation=generation_of(OuterRef("user_id")))
    fresh = fresh.get(pk=challenge.pk)
    challenge.failed_attempts, challenge.completed_at = fresh.failed_attempts, fresh.completed_at
    challenge.expires_at = fresh.expires_at
    challenge.user = fresh.user
    if with_generation:
        note_generation(fresh.user, fresh.portal2fa_generation)
    budget = getattr(fresh.user, "portal2fa_code_budget", None)
    return challenge, getattr(fresh.user, "authenticator", None), budget


def refusal_under_lock(challenge: SignInChallenge, budget, *, at: datetime) -> Attempt | None:
    """Why no factor may be checked against this token now (after _lock_and_reread), else None:
    spent, locked, or the account's code budget says wait or is locked. One rule for every
    factor (codes, email and SMS codes, passkeys, a key enrollment)."""
    if ended(challenge, at=at):
        return Attempt(False, EXPIRED)
    if challenge.locked:
        return Attempt(False, LOCKED, locked=True)
    refusal = code_budget.code_budget_refusal(challenge.user_id, at=at, budget=budget)
    if refusal:  # not evaluated: the account's budget says wait, or is locked
        return Attempt(False, refusal.message, locked=refusal.locked)
    return None


def challenge_attempt(
    *,
    token: str | None,
    code: str,
    at: datetime,
    client_address=None,
    challenge: SignInChallenge | None = None,
    policy=None,
) -> Attempt:
    """Check a code (TOTP or backup; or the confirming code of an enrollment) against a token.

    One transaction under a per-user lock: the checks, the code's consumption and the failure
    counters commit together, so neither the token's limit nor the account's can be raced.
    A caller that has already loaded the token's live challenge (challenge_load) and the policy
    passes them, so neither is read twice.
    """
    if challenge is None or token is None or challenge.token_digest != keys.token_digest(token):
        challenge = challenge_load(token, at=at)
    if challenge is None:
        return Attempt(False, EXPIRED)
    with transaction.atomic():
        challenge, authenticator, budget = _lock_and_reread(challenge, with_generation=True)
        refused = refusal_under_lock(challenge, budget, at=at)
        if refused:
            return refused
        if authenticator is None:  # reset by an administrator during this sign-in
            return Attempt(False, EXPIRED)
        confirmation = None
        if authenticator.confirmed_at is None:
            confirmation = confirm_pending(
                authenticator, code, at=at, client_address=client_address
            )
            check = code_checks.CodeCheck.TOTP if confirmation.ok else code_checks.CodeCheck.INVALID
        else:
            window = (policy or get_settings()).clock_skew_steps
            check = code_checks.consume_code(authenticator, code, at=at, window=window)
        if check.ok:
            if not _complete(challenge, at=at):  # completed concurrently: undo the consumption
                transaction.set_rollback(True)
                return Attempt(False, EXPIRED)
            code_budget.code_success(challenge.user_id, budget=budget)
            return _succeeded(challenge, check, confirmation, at=at, client_address=client_address)
        skew = None
        if check is code_checks.CodeCheck.INVALID:  # refused as always; only the message says more
            window = (policy or get_settings()).clock_skew_steps
            skew = suspected_skew(authenticator, code, at=at, window=window)
        failure = _count_failure(challenge, check, at=at, client_address=client_address, skew=skew)
    if check is code_checks.CodeCheck.USED and not failure.locked:
        return Attempt(False, USED)
    return failure


def _succeeded(challenge, check, confirmation, *, at, client_address) -> Attempt:
    user = challenge.user
    where = {"actor": user, "target": user, "client_address": client_address, "at": at}
    record(Action.SIGNIN_SUCCEEDED, factor=check.value, **where)
    if check is code_checks.CodeCheck.BACKUP:
        record(Action.BACKUP_CODE_USED, **where)
    return Attempt(
        True,
        user_id=challenge.user_id,
        backup_codes=confirmation.backup_codes if confirmation else (),
        used_backup_code=check is code_checks.CodeCheck.BACKUP,
    )


def signin_without_second_factor(*, user, at: datetime, client_address, first_factor: str) -> None:
    """Audit a sign-in to which 2FA does not apply (switch off, or no role requiring it and not
    enrolled), so the Audit Log shows every sign-in, not only the two-factor ones."""
    record(
        Action.SIGNIN_SUCCEEDED,
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
        factor=f"{first_factor} only",
    )


def challenge_skip_enrollment(*, token: str | None, at: datetime, client_address=None) -> Attempt:
    """'Skip for now' when enrollment is Optional: completes the token without a second factor."""
    challenge = challenge_load(token, at=at)
    if challenge is None:
        return Attempt(False, EXPIRED)
    policy = get_settings()
    confirmed = Authenticator.objects.filter(user_id=challenge.user_id, confirmed_at__isnull=False)
    if policy.enrollment_required or confirmed.exists():
        return Attempt(False, messages.SKIP_REFUSED)
    with transaction.atomic():
        code_checks.serialize_code_checks(challenge.user_id)  # one lock order with the code checks
        if not _complete(challenge, at=at):
            return Attempt(False, LOCKED, locked=True)
        user = challenge.user
        # Skipping is not starting: the secret the enroll page issued during THIS sign-in goes, so
        # the user stays Not Started (a Pending one from before, say a scanned QR code, is kept).
        discarded = Authenticator.objects.filter(
            user_id=user.pk, confirmed_at__isnull=True, created_at__gte=challenge.created_at
        ).delete()[0]
        ReenrollmentDue.objects.filter(user_id=user.pk).delete()  # asked once, said "not now"
        record(
            Action.ENROLLMENT_SKIPPED,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            **({"pending_discarded": True} if discarded else {}),
        )
        record(
            Action.SIGNIN_SUCCEEDED,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            factor="none",
        )
    return Attempt(True, user_id=challenge.user_id)
