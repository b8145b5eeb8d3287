"""Enrollment with a passkey or security key alone: at the sign-in's enrollment step, or
voluntarily from the personal page.

Where the user's roles allow passkeys, the enrollment step offers a key instead of an
authenticator app. A verified registration then does, in one transaction under the per-user lock,
what confirming the app's first code does: the enrollment becomes Enrolled (its row keeps no app
secret: a Pending secret from the QR code goes), a set of backup codes is issued, the sign-in's
token completes, and the Overview's counters move. The password has passed (the token), as for
the app; no code is guessed here, so the account's code budget is only consulted.
"""

from datetime import datetime

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..machinery import code_checks, counters
from ..machinery.code_budget import user_guard
from ..machinery.policy import current_policy
from ..models import Authenticator, EnrollmentDeadline, ReenrollmentDue
from ..services.attempt import Attempt, LockedChallenge, Verdict, second_factor_attempt
from ..services.challenge import challenge_load
from ..services.enrollment import locked_is_active
from .selectors import NOT_ALLOWED, passkeys_usable
from .services import PASSKEY_FACTOR, clean_name, store_new_key
from .verification import NewKey, PasskeyError, RelyingParty, verify_new_key

ALREADY_ENROLLED = messages.ALREADY_ENROLLED
SET_UP_ALREADY = messages.SET_UP_ALREADY


class AlreadySetUp(PasskeyError):
    """Voluntary enrollment refused because the user is enrolled, perhaps by a parallel request
    with the same answer a moment ago."""

    def __init__(self) -> None:
        super().__init__(SET_UP_ALREADY)


def passkey_enroll(
    *,
    token: str | None,
    name: str,
    response: str,
    expected_challenge: bytes,
    rp: RelyingParty,
    at: datetime,
    client_address: str | None = None,
) -> Attempt:
    """Enroll the token's user with a new key; the Attempt carries the new backup codes.
    PasskeyError for a name or a registration that cannot be used (nothing is changed)."""
    name = clean_name(name)
    key = verify_new_key(response, expected_challenge=expected_challenge, rp=rp)

    def check(locked: LockedChallenge) -> Verdict:
        if not passkeys_usable(locked.user):
            raise PasskeyError(NOT_ALLOWED)
        if locked.enrolled:
            return Verdict.refused(ALREADY_ENROLLED)
        codes = _enroll(
            locked.user, locked.authenticator, name, key, at=at, client_address=client_address
        )
        return Verdict.passed(PASSKEY_FACTOR, backup_codes=codes)

    return second_factor_attempt(
        challenge_load(token, at=at), check=check, at=at, client_address=client_address
    )


def passkey_enroll_signed_in(
    *,
    user: HostUser,
    name: str,
    response: str,
    expected_challenge: bytes,
    rp: RelyingParty,
    at: datetime,
    client_address: str | None = None,
) -> tuple[str, ...]:
    """Voluntary enrollment from the personal page (a signed-in user who has not enrolled) with a
    new key: the new backup codes. PasskeyError when refused (nothing is changed), AlreadySetUp
    when the user is enrolled."""
    name = clean_name(name)
    key = verify_new_key(response, expected_challenge=expected_challenge, rp=rp)
    with user_guard(user.pk, at=at) as refusal:
        if refusal:
            raise PasskeyError(refusal.message)
        if not passkeys_usable(user):
            raise PasskeyError(NOT_ALLOWED)
        enrollment = Authenticator.objects.filter(user=user).first()
        if enrollment is not None and enrollment.confirmed_at:
            raise AlreadySetUp()
        return tuple(_enroll(user, enrollment, name, key, at=at, client_address=client_address))


def _enroll(
    user: HostUser,
    enrollment: Authenticator | None,
    name: str,
    key: NewKey,
    *,
    at: datetime,
    client_address: str | None,
) -> list[str]:
    """Under the per-user lock, in the caller's transaction: Enrolled without an app, the key
    stored, a set of backup codes issued, the counters moved, audited. Returns the codes."""
    enrollment = _enrolled_without_app(user, enrollment, at=at, client_address=client_address)
    store_new_key(user, name, key, at=at, client_address=client_address)
    _, without_codes = counters.locked_state(pk=enrollment.pk)
    codes = code_checks.issue_backup_codes(enrollment, count=current_policy().backup_codes_per_set)
    _, after = counters.locked_state(pk=enrollment.pk)
    counters.move(without_codes.buckets(), after.buckets())
    ReenrollmentDue.objects.filter(user_id=user.pk).delete()
    EnrollmentDeadline.objects.filter(user_id=user.pk).delete()  # enrolled: no date
    record(Action.ENROLLMENT_COMPLETED, Origin(user, user, client_address, at), method="passkey")
    return codes


def _enrolled_without_app(
    user: HostUser, enrollment: Authenticator | None, *, at: datetime, client_address: str | None
) -> Authenticator:
    """The user's enrollment, now Enrolled without an app secret (no key, no codes yet); the
    Overview's counters moved with it."""
    before: tuple[str, ...] = ()
    if enrollment is None:
        enrollment = Authenticator.objects.create(
            user=user,
            encrypted_secret="",
            created_at=at,
            confirmed_at=at,
            user_active=locked_is_active(user),
        )
        record(
            Action.ENROLLMENT_STARTED,
            Origin(user, user, client_address, at),
        )
    else:
        _, was = counters.locked_state(pk=enrollment.pk)
        before = was.buckets()
        # The Pending app secret (a QR code shown, never confirmed) goes: the key replaces it.
        Authenticator.objects.filter(pk=enrollment.pk).update(
            encrypted_secret="", confirmed_at=at, last_used_step=None
        )
    _, now = counters.locked_state(pk=enrollment.pk)
    counters.move(before, now.buckets())
    return enrollment
