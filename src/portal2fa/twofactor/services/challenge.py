"""The sign-in security token (SPEC §6.3): issued on password success, spent by the second factor.

The token is random, stored only as a keyed hash, bound to the browser session (the session holds
the clear token), expires after 10 minutes and locks at the policy's Maximum Invalid Attempts.
The attempt counter only grows, through a conditional UPDATE, so a lock holds under concurrency.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from ...audit.models import Action
from ...audit.services import record
from .. import crypto, keys
from ..models import Authenticator, SignInChallenge
from ..policy import get_settings
from . import codes as code_checks
from .enrollment import confirm_pending

TOKEN_LIFETIME = timedelta(minutes=10)

EXPIRED = "This sign-in has expired."
LOCKED = "Too many invalid attempts. Start a new sign-in."
USED = "This code was already used."


@dataclass(frozen=True)
class Attempt:
    ok: bool
    message: str = ""
    locked: bool = False
    user_id: int | None = None
    backup_codes: tuple[str, ...] = ()  # a new set, when this attempt completed an enrollment
    used_backup_code: bool = False


def _invalid_message(remaining: int) -> str:
    noun = "attempt" if remaining == 1 else "attempts"
    return f"Invalid code. {remaining} {noun} remaining."


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
    return bool(
        SignInChallenge.objects.filter(
            pk=challenge.pk, completed_at=None, failed_attempts__lt=F("max_attempts")
        ).update(completed_at=at)
    )


def _count_failure(challenge: SignInChallenge, *, at: datetime, client_address) -> Attempt:
    SignInChallenge.objects.filter(pk=challenge.pk, failed_attempts__lt=F("max_attempts")).update(
        failed_attempts=F("failed_attempts") + 1
    )
    challenge.refresh_from_db(fields=["failed_attempts"])
    code_checks.count_code_failure(challenge.user_id, at=at)
    user = challenge.user
    record(
        Action.SECOND_FACTOR_FAILED,
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
        attempt=challenge.failed_attempts,
    )
    if challenge.locked:
        record(
            Action.SECOND_FACTOR_LOCKOUT,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
        )
        return Attempt(False, LOCKED, locked=True)
    return Attempt(False, _invalid_message(challenge.max_attempts - challenge.failed_attempts))


def _lock_and_reread(challenge: SignInChallenge) -> tuple[SignInChallenge, Authenticator | None]:
    """One statement: take the per-user lock (the user's row FOR NO KEY UPDATE, as
    codes.serialize_code_checks does) and re-read, under it, the challenge's counters and the
    user's authenticator. (SQLite: no row locks; our transactions there are IMMEDIATE.)"""
    fresh = (
        SignInChallenge.objects.select_related("user", "user__authenticator")
        .select_for_update(no_key=True, of=("user",))
        .get(pk=challenge.pk)
    )
    challenge.failed_attempts, challenge.completed_at = fresh.failed_attempts, fresh.completed_at
    challenge.user = fresh.user
    return challenge, getattr(fresh.user, "authenticator", None)


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
        challenge, authenticator = _lock_and_reread(challenge)
        if challenge.completed_at:
            return Attempt(False, EXPIRED)
        if challenge.locked:
            return Attempt(False, LOCKED, locked=True)
        if code_checks.account_code_budget_spent(challenge.user_id, at=at):
            return Attempt(False, code_checks.ACCOUNT_LOCKED_MESSAGE, locked=True)
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
            return _succeeded(challenge, check, confirmation, at=at, client_address=client_address)
        failure = _count_failure(challenge, at=at, client_address=client_address)
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
        return Attempt(False, "Enrollment cannot be skipped.")
    with transaction.atomic():
        if not _complete(challenge, at=at):
            return Attempt(False, LOCKED, locked=True)
        user = challenge.user
        record(
            Action.ENROLLMENT_SKIPPED, actor=user, target=user, client_address=client_address, at=at
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
