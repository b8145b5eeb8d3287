"""The sign-in security token: issued on password success, spent by the second factor.

The token is random, stored only as a keyed hash, bound to the browser session (the session holds
the clear token), expires after 10 minutes and locks at the policy's Maximum Invalid Attempts.
The attempt counter only grows, through a conditional UPDATE, so a lock holds under concurrency.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..core import crypto
from ..machinery import code_checks, keys
from ..machinery.clock_skew import suspected_skew
from ..machinery.code_budget import user_guard
from ..machinery.policy import NextStep, current_policy, next_step
from ..models import Authenticator, EmailCode, ReenrollmentDue, SignInChallenge, TwoFactorSettings
from .attempt import (
    EXPIRED,
    LOCKED,
    USED,
    Attempt,
    Check,
    LockedChallenge,
    Verdict,
    complete_challenge,
    second_factor_attempt,
)
from .deadlines import deadline_snooze
from .enrollment import confirm_pending

TOKEN_LIFETIME = timedelta(minutes=10)


def challenge_issue(
    *,
    user: HostUser,
    at: datetime,
    client_address: str | None = None,
    policy: TwoFactorSettings | None = None,
) -> str:
    """A new token with its counter at zero. Returns the clear token for the session.
    `policy`: the policy row when the caller read it in this request."""
    token = crypto.new_token()
    challenges_expired_delete(user_id=user.pk, at=at)
    SignInChallenge.objects.create(
        token_digest=keys.token_digest(token),
        user=user,
        created_at=at,
        expires_at=at + TOKEN_LIFETIME,
        max_attempts=(policy or current_policy()).max_invalid_attempts,
        client_address=client_address,
    )
    return token


def challenges_expired_delete(*, user_id: int, at: datetime) -> None:
    """Spent and expired tokens of this user are of no further use (the audit log keeps the
    story): one DELETE. Those that sent an e-mail or SMS code keep it and are left to
    challenges_prune (the ORM's delete of a row others refer to reads them first)."""
    ops = connection.ops
    challenge = ops.quote_name(SignInChallenge._meta.db_table)
    email_code = ops.quote_name(EmailCode._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(  # only quoted identifiers are formatted in; values go as parameters
            f"DELETE FROM {challenge} WHERE user_id = %s AND expires_at <= %s AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {email_code} WHERE {email_code}.challenge_id = {challenge}.id)",
            [user_id, ops.adapt_datetimefield_value(at)],
        )


def challenges_prune(*, at: datetime, batch: int = 100) -> int:
    """Delete up to `batch` expired challenges of anyone, with their e-mail or SMS codes."""
    expired = SignInChallenge.objects.filter(expires_at__lte=at).order_by("expires_at")
    deleted, _ = SignInChallenge.objects.filter(
        pk__in=list(expired.values_list("pk", flat=True)[:batch])
    ).delete()
    return deleted


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


def live_challenge(
    token: str | None, *, at: datetime, loaded: SignInChallenge | None = None
) -> SignInChallenge | None:
    """The token's live challenge: `loaded` when a caller read it for this token in this request
    (challenge_load), so it is not read twice; else read now."""
    if loaded is not None and token is not None and loaded.token_digest == keys.token_digest(token):
        return loaded
    return challenge_load(token, at=at)


def attempt_on_token(
    token: str | None,
    *,
    loaded: SignInChallenge | None,
    check: Check,
    at: datetime,
    client_address: str | None,
) -> Attempt:
    """One attempt of any method (services/attempt.py) against the token's live challenge."""
    challenge = live_challenge(token, at=at, loaded=loaded)
    return second_factor_attempt(challenge, check=check, at=at, client_address=client_address)


def challenge_attempt(
    *,
    token: str | None,
    code: str,
    at: datetime,
    client_address: str | None = None,
    challenge: SignInChallenge | None = None,
    policy: TwoFactorSettings | None = None,
) -> Attempt:
    """Check a code (TOTP or backup; or the confirming code of an enrollment) against a token.

    One transaction under a per-user lock: the checks, the code's consumption and the failure
    counters commit together, so neither the token's limit nor the account's can be raced.
    A caller that has already loaded the token's live challenge (challenge_load) and the policy
    passes them, so neither is read twice.
    """
    return attempt_on_token(
        token,
        loaded=challenge,
        check=lambda locked: _check_code(
            locked, code, at=at, client_address=client_address, policy=policy
        ),
        at=at,
        client_address=client_address,
    )


def _check_code(
    locked: LockedChallenge,
    code: str,
    *,
    at: datetime,
    client_address: str | None,
    policy: TwoFactorSettings | None,
) -> Verdict:
    """An authenticator app's code or a backup code; for an enrollment still Pending, the app's
    first code, which confirms it and issues the first backup codes."""
    authenticator = locked.authenticator
    if authenticator is None:  # reset by an administrator during this sign-in
        return Verdict.refused(EXPIRED)
    if authenticator.confirmed_at is None:
        confirmation = confirm_pending(authenticator, code, at=at, client_address=client_address)
        if confirmation.ok:
            return Verdict.passed(
                code_checks.CodeCheck.TOTP.value, backup_codes=confirmation.backup_codes
            )
        check = code_checks.CodeCheck.INVALID
    else:
        window = (policy or current_policy()).clock_skew_steps
        check = code_checks.consume_code(authenticator, code, at=at, window=window)
    if check.ok:
        return Verdict.passed(check.value)
    if check is code_checks.CodeCheck.USED:
        return Verdict.replayed(USED)
    window = (policy or current_policy()).clock_skew_steps  # refused as always; the hint says more
    return Verdict.failed(skew=suspected_skew(authenticator, code, at=at, window=window))


def signin_without_second_factor(
    *, user: HostUser, at: datetime, client_address: str | None, first_factor: str
) -> None:
    """Audit a sign-in to which 2FA does not apply (switch off, or no role requiring it and not
    enrolled), so the Audit Log shows every sign-in, not only the two-factor ones."""
    record(
        Action.SIGNIN_SUCCEEDED,
        Origin(user, user, client_address, at),
        factor=f"{first_factor} only",
    )


def challenge_skip_enrollment(
    *, token: str | None, at: datetime, client_address: str | None = None
) -> Attempt:
    """'Skip for now' when enrollment is Optional: completes the token without a second factor."""
    challenge = challenge_load(token, at=at)
    if challenge is None:
        return Attempt(False, EXPIRED)
    policy = current_policy()
    confirmed = Authenticator.objects.filter(user_id=challenge.user_id, confirmed_at__isnull=False)
    if policy.enrollment_required or confirmed.exists():
        return Attempt(False, messages.SKIP_REFUSED)
    return _pass_without_factor(
        challenge, at=at, client_address=client_address, action=Action.ENROLLMENT_SKIPPED
    )


def challenge_snooze_enrollment(
    *, token: str | None, at: datetime, client_address: str | None = None
) -> Attempt:
    """ "Remind me later" before the user's due date (services/deadlines.py): counts one snooze,
    by a conditional UPDATE that refuses after the date or past the role's limit, and completes
    the token without a second factor, in one transaction."""
    challenge = challenge_load(token, at=at)
    if challenge is None:
        return Attempt(False, EXPIRED)
    if next_step(challenge.user, current_policy(), at=at) is not NextStep.ENROLL_LATER:
        return Attempt(False, messages.SNOOZE_REFUSED)
    return _pass_without_factor(
        challenge,
        at=at,
        client_address=client_address,
        action=Action.ENROLLMENT_SNOOZED,
        before=lambda: deadline_snooze(user_id=challenge.user_id, at=at),
    )


def _pass_without_factor(
    challenge: SignInChallenge,
    *,
    at: datetime,
    client_address: str | None,
    action: Action,
    before: Callable[[], bool] | None = None,
) -> Attempt:
    with user_guard(challenge.user_id):  # one lock order with the code checks
        if before is not None and not before():
            return Attempt(False, messages.SNOOZE_REFUSED)
        if not complete_challenge(challenge, at=at):
            transaction.set_rollback(True)  # the snooze counted above is not spent
            return Attempt(False, LOCKED, locked=True)
        user = challenge.user
        # Skipping is not starting: the secret the enroll page issued during THIS sign-in goes, so
        # the user stays Not Started (a Pending one from before, say a scanned QR code, is kept).
        discarded = Authenticator.objects.filter(
            user_id=user.pk, confirmed_at__isnull=True, created_at__gte=challenge.created_at
        ).delete()[0]
        ReenrollmentDue.objects.filter(user_id=user.pk).delete()  # asked once, said "not now"
        record(
            action,
            Origin(user, user, client_address, at),
            **({"pending_discarded": True} if discarded else {}),
        )
        record(
            Action.SIGNIN_SUCCEEDED,
            Origin(user, user, client_address, at),
            factor="none",
        )
    return Attempt(True, user_id=challenge.user_id)
