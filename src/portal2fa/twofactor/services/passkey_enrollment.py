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

from django.db import transaction

from ...audit.models import Action
from ...audit.services import record
from .. import counters, messages
from ..models import Authenticator, EnrollmentDeadline, ReenrollmentDue
from ..policy import get_settings
from . import code_budget
from . import codes as code_checks
from .attempt import Attempt, LockedChallenge, Verdict, second_factor_attempt
from .challenge import challenge_load
from .enrollment import locked_is_active
from .passkeys import (
    NOT_ALLOWED,
    PASSKEY_FACTOR,
    PasskeyError,
    RelyingParty,
    clean_name,
    passkeys_usable,
    store_new_key,
    verify_new_key,
)

ALREADY_ENROLLED = messages.ALREADY_ENROLLED
SET_UP_ALREADY = messages.SET_UP_ALREADY


class AlreadySetUp(PasskeyError):
    """Voluntary enrollment refused because the user is enrolled, perhaps by a parallel request
    with the same answer a moment ago."""

    def __init__(self):
        super().__init__(SET_UP_ALREADY)


def passkey_enroll(
    *,
    token: str | None,
    name: str,
    response: str,
    expected_challenge: bytes,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
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
    user,
    name: str,
    response: str,
    expected_challenge: bytes,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
) -> tuple[str, ...]:
    """Voluntary enrollment from the personal page (a signed-in user who has not enrolled) with a
    new key: the new backup codes. PasskeyError when refused (nothing is changed), AlreadySetUp
    when the user is enrolled."""
    name = clean_name(name)
    key = verify_new_key(response, expected_challenge=expected_challenge, rp=rp)
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        refusal = code_budget.code_budget_refusal(user.pk, at=at)
        if refusal:
            raise PasskeyError(refusal.message)
        if not passkeys_usable(user):
            raise PasskeyError(NOT_ALLOWED)
        enrollment = Authenticator.objects.filter(user=user).first()
        if enrollment is not None and enrollment.confirmed_at:
            raise AlreadySetUp()
        return tuple(_enroll(user, enrollment, name, key, at=at, client_address=client_address))


def _enroll(user, enrollment, name: str, key, *, at, client_address) -> list[str]:
    """Under the per-user lock, in the caller's transaction: Enrolled without an app, the key
    stored, a set of backup codes issued, the counters moved, audited. Returns the codes."""
    enrollment = _enrolled_without_app(user, enrollment, at=at, client_address=client_address)
    store_new_key(user, name, key, at=at, client_address=client_address)
    _, without_codes = counters.locked_state(pk=enrollment.pk)
    codes = code_checks.issue_backup_codes(enrollment, count=get_settings().backup_codes_per_set)
    _, after = counters.locked_state(pk=enrollment.pk)
    counters.move(without_codes.buckets(), after.buckets())
    ReenrollmentDue.objects.filter(user_id=user.pk).delete()
    EnrollmentDeadline.objects.filter(user_id=user.pk).delete()  # enrolled: no date
    record(
        Action.ENROLLMENT_COMPLETED,
        method="passkey",
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
    )
    return codes


def _enrolled_without_app(user, enrollment, *, at, client_address) -> Authenticator:
    """The user's enrollment, now Enrolled without an app secret (no key, no codes yet); the
    Overview's counters moved with it."""
    before = ()
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
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
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
