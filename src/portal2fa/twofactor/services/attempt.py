"""One second-factor attempt against a sign-in's security token, whatever the method.

Every method (authenticator app or backup code, email or SMS code, passkey, enrollment with a key,
Temporary Access Pass) runs the same steps, written here once:

1. the live challenge of the token (services/challenge.py loads it, at most once per request);
2. the per-user lock, then the challenge's counters re-read under it (lock_challenge);
3. the refusals that hold for every method: the token is spent, expired (its time, or a security
   change ended it: machinery/session_generation.py signins_end) or locked, or the account's code budget
   says wait or is locked (refusal_under_lock) -- nothing is checked then;
4. the method's own check, passed in: it reads and spends the method's secret by one conditional
   UPDATE and answers with a Verdict;
5. a pass completes the token (or, for a Temporary Access Pass, keeps it for the enrollment that
   follows) by one conditional UPDATE (a parallel completion undoes the method's
   change: one of two racing requests wins), clears the account's failure count and is audited;
   a failure counts on the token (its lockout) and, when it was a guess at the secret, on the
   account's budget, and is audited.

One transaction holds steps 2 to 5, so neither the token's limit nor the account's can be raced.
The shape is django-otp's verify_is_allowed() / verify_token() and allauth's
Authenticator.wrap().validate_code(): each method supplies only its check.
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, OuterRef

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..machinery import code_budget
from ..machinery.clock_skew import skew_hint
from ..machinery.code_checks import serialize_code_checks
from ..machinery.returning import update_returning
from ..machinery.session_generation import generation_of, note_generation
from ..models import Authenticator, CodeGuessBudget, SignInChallenge

EXPIRED, LOCKED, USED = messages.EXPIRED, messages.LOCKED, messages.USED
BACKUP = "backup"  # the factor whose pass is also audited as a backup code used


@dataclass(frozen=True)
class Attempt:
    ok: bool
    message: str = ""
    locked: bool = False
    user_id: int | None = None
    backup_codes: tuple[str, ...] = ()  # a new set, when this attempt completed an enrollment
    used_backup_code: bool = False


@dataclass
class LockedChallenge:
    """What the method's check sees: the challenge re-read under the per-user lock, its user, the
    user's enrollment (None: none, or reset during this sign-in) and the account's code budget."""

    challenge: SignInChallenge
    authenticator: Authenticator | None
    budget: CodeGuessBudget | None

    @property
    def user(self) -> HostUser:
        return self.challenge.user

    @property
    def enrolled(self) -> bool:
        return self.authenticator is not None and self.authenticator.confirmed_at is not None


class _Outcome(enum.Enum):
    PASSED = "passed"
    ADMITTED = "admitted"  # passed, the token kept for the enrollment that follows
    FAILED = "failed"  # counted on the token and, for a guess, on the account
    REFUSED = "refused"  # not checked at all: nothing counted


@dataclass(frozen=True)
class Verdict:
    """A method's answer about one attempt. Build it with the class methods."""

    outcome: _Outcome
    factor: str = ""
    message: str = ""
    guess: bool = True
    skew: int | None = None
    backup_codes: tuple[str, ...] = ()

    @classmethod
    def passed(cls, factor: str, *, backup_codes: Iterable[str] = ()) -> "Verdict":
        return cls(_Outcome.PASSED, factor=factor, backup_codes=tuple(backup_codes))

    @classmethod
    def admitted(cls, factor: str) -> "Verdict":
        """Passed, but the sign-in is not over: the token stays live for the enrollment that must
        follow on it (a Temporary Access Pass). The account's failure count is cleared."""
        return cls(_Outcome.ADMITTED, factor=factor)

    @classmethod
    def failed(cls, *, refused_as: str = messages.INVALID, skew: int | None = None) -> "Verdict":
        """A wrong answer, a guess at the secret. `refused_as` opens the message (the method's
        word for it); a suspected clock skew adds its hint."""
        return cls(_Outcome.FAILED, message=refused_as, skew=skew)

    @classmethod
    def replayed(cls, message: str = USED) -> "Verdict":
        """A right answer already spent (or expired): the token counts it, the account's budget
        does not (no guess at the secret), and the user reads `message` unless the token locked."""
        return cls(_Outcome.FAILED, message=message, guess=False)

    @classmethod
    def refused(cls, message: str) -> "Verdict":
        """Not checked (the method does not apply now): nothing counted, `message` shown."""
        return cls(_Outcome.REFUSED, message=message)


Check = Callable[[LockedChallenge], Verdict]


def lock_challenge(challenge: SignInChallenge) -> LockedChallenge:
    """Take the per-user lock (codes.serialize_code_checks), then re-read under it, in one
    statement, the challenge's counters, the user's authenticator, the account's code budget and
    the user's session generation (noted on the user for a login that follows in this request,
    machinery/session_generation.py).

    Two statements, not one: on PostgreSQL a SELECT .. FOR UPDATE that waits for the lock returns
    the rows of the snapshot it started with, so counters read in the locking statement would be
    those from before the transaction it waited for."""
    serialize_code_checks(challenge.user_id)
    fresh = (
        SignInChallenge.objects.select_related(
            "user", "user__authenticator", "user__portal2fa_code_budget"
        )
        .annotate(portal2fa_generation=generation_of(OuterRef("user_id")))
        .get(pk=challenge.pk)
    )
    challenge.failed_attempts, challenge.completed_at = fresh.failed_attempts, fresh.completed_at
    challenge.expires_at = fresh.expires_at  # a security change may have ended it meanwhile
    challenge.access_pass_at = fresh.access_pass_at
    challenge.user = fresh.user
    note_generation(fresh.user, fresh.portal2fa_generation)
    return LockedChallenge(
        challenge,
        authenticator=getattr(fresh.user, "authenticator", None),
        budget=getattr(fresh.user, "portal2fa_code_budget", None),
    )


def ended(challenge: SignInChallenge, *, at: datetime) -> bool:
    """Spent, or expired (its time, or a security change ended it): no factor, no send."""
    return bool(challenge.completed_at) or challenge.expires_at <= at


def refusal_under_lock(locked: LockedChallenge, *, at: datetime) -> Attempt | None:
    """Why no factor may be checked against this token now, else None: spent or expired, locked,
    or the account's code budget says wait or is locked. One rule for every method."""
    challenge = locked.challenge
    if ended(challenge, at=at):
        return Attempt(False, EXPIRED)
    if challenge.locked:
        return Attempt(False, LOCKED, locked=True)
    refusal = code_budget.code_budget_refusal(challenge.user_id, at=at, budget=locked.budget)
    if refusal:  # not evaluated: the account's budget says wait, or is locked
        return Attempt(False, refusal.message, locked=refusal.locked)
    return None


def complete_challenge(challenge: SignInChallenge, *, at: datetime) -> bool:
    """Spend the token, if no parallel request did and it is neither locked nor expired (a
    security change expires the user's live tokens: machinery/session_generation.py signins_end): one
    conditional UPDATE, the row count decides."""
    return bool(
        SignInChallenge.objects.filter(
            pk=challenge.pk,
            completed_at=None,
            failed_attempts__lt=F("max_attempts"),
            expires_at__gt=at,
        ).update(completed_at=at)
    )


def second_factor_attempt(
    challenge: SignInChallenge | None,
    *,
    check: Check,
    at: datetime,
    client_address: str | None = None,
) -> Attempt:
    """Run one attempt of any method against a live challenge (None: the sign-in is over)."""
    if challenge is None:
        return Attempt(False, EXPIRED)
    with transaction.atomic():
        locked = lock_challenge(challenge)
        refused = refusal_under_lock(locked, at=at)
        if refused:
            return refused
        verdict = check(locked)
        if verdict.outcome is _Outcome.REFUSED:
            return Attempt(False, verdict.message)
        if verdict.outcome is _Outcome.PASSED:
            if not complete_challenge(challenge, at=at):  # completed concurrently: undo the check
                transaction.set_rollback(True)
                return Attempt(False, EXPIRED)
            code_budget.code_success(challenge.user_id, budget=locked.budget)
            return _passed(challenge, verdict, at=at, client_address=client_address)
        if verdict.outcome is _Outcome.ADMITTED:
            code_budget.code_success(challenge.user_id, budget=locked.budget)
            return Attempt(True, user_id=challenge.user_id)
        failure = _count_failure(
            challenge, verdict, at=at, client_address=client_address, budget=locked.budget
        )
    if not verdict.guess and not failure.locked:
        return Attempt(False, verdict.message)
    return failure


def _passed(
    challenge: SignInChallenge, verdict: Verdict, *, at: datetime, client_address: str | None
) -> Attempt:
    user = challenge.user
    origin = Origin(user, user, client_address, at)
    record(Action.SIGNIN_SUCCEEDED, origin, factor=verdict.factor)
    if verdict.factor == BACKUP:
        record(Action.BACKUP_CODE_USED, origin)
    return Attempt(
        True,
        user_id=challenge.user_id,
        backup_codes=verdict.backup_codes,
        used_backup_code=verdict.factor == BACKUP,
    )


def _count_failure(
    challenge: SignInChallenge,
    verdict: Verdict,
    *,
    at: datetime,
    client_address: str | None,
    budget: CodeGuessBudget | None,
) -> Attempt:
    counted = update_returning(
        SignInChallenge.objects.filter(pk=challenge.pk, failed_attempts__lt=F("max_attempts")),
        ["failed_attempts"],
        failed_attempts=F("failed_attempts") + 1,
    )
    if counted:  # else already at its limit (re-read under the lock): locked
        challenge.failed_attempts = counted[0][0]
    user = challenge.user
    refusal = None
    if verdict.guess:  # a replayed code is no guess at the secret
        refusal = code_budget.code_failure_count(
            user, at=at, client_address=client_address, budget=budget
        )
    skew = verdict.skew
    record(
        Action.SECOND_FACTOR_FAILED,
        Origin(user, user, client_address, at),
        attempt=challenge.failed_attempts,
        **({"clock_skew_steps": skew} if skew is not None else {}),
    )
    hint = f" {skew_hint(skew)}" if skew is not None else ""
    if challenge.locked:
        record(Action.SECOND_FACTOR_LOCKOUT, Origin(user, user, client_address, at))
        return Attempt(False, LOCKED + hint, locked=True)
    # The method's word for a refusal opens the message ("Invalid code.", "The passkey ... was
    # not accepted."); a replay's own message is chosen by the caller unless the token locked.
    opening = verdict.message if verdict.guess else messages.INVALID
    if refusal:  # the account's budget now says wait, or is locked: say so at once
        return Attempt(False, f"{opening}{hint} {refusal.message}", locked=refusal.locked)
    remaining = challenge.max_attempts - challenge.failed_attempts
    return Attempt(False, f"{opening} {messages.attempts_remaining(remaining)}{hint}")
