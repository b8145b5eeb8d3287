"""Temporary Access Passes: an administrator issues one so a user who lost every factor can sign in
once and enroll again, instead of leaving the enrollment step open to whoever knows the password.

A pass is random (core/access_pass.py), shown once to the administrator and stored only as a keyed hash
bound to its user. It is usable for PORTAL2FA_ACCESS_PASS_MINUTES (or the minutes the
administrator chose, 10 minutes to 8 hours), once: its use is one conditional UPDATE whose row
count decides. A user has at most one open pass (a database constraint): issuing a new one
revokes the old. Issued, used, expired and revoked passes are audited, never the pass itself.

At the second-factor step the pass is one more kind of attempt (services/attempt.py): under the
per-user lock, after the token's and the account's refusals; a wrong pass counts toward both like
a wrong code. An accepted pass does not end the sign-in: the user's old enrollment (app, backup
codes, passkeys) is removed as a reset would, and the sign-in's token goes on to the enrollment
step, which completes it with the new factor and shows new backup codes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser, get_adapter
from ..conf import ACCESS_PASS_MINUTES_MAX, ACCESS_PASS_MINUTES_MIN, setting
from ..core import access_pass
from ..machinery import keys
from ..machinery.code_budget import user_guard
from ..machinery.notices import send_access_pass_notice
from ..models import AccessPassOutcome, SignInChallenge, TemporaryAccessPass
from .attempt import Attempt, LockedChallenge, Verdict
from .challenge import attempt_on_token
from .enrollment import enrollment_reset

FACTOR = "access_pass"
INVALID = messages.PASS_INVALID
USED = messages.PASS_USED
EXPIRED = messages.PASS_EXPIRED
ENDED = messages.PASS_ENDED
ALREADY_ACCEPTED = messages.PASS_ALREADY_ACCEPTED
_REFUSALS: dict[str, str] = {AccessPassOutcome.USED: USED, AccessPassOutcome.EXPIRED: EXPIRED}


class AccessPassError(ValueError):
    """A refusal whose message is safe to show (CLI, pages)."""


@dataclass(frozen=True)
class IssuedPass:
    code: str  # in clear: shown once to the administrator, never stored
    expires_at: datetime

    @property
    def display(self) -> str:
        return access_pass.display(self.code)


def lifetime(minutes: int | None) -> timedelta:
    """The pass's lifetime: `minutes`, or PORTAL2FA_ACCESS_PASS_MINUTES; within 10 min to 8 h."""
    value = setting("PORTAL2FA_ACCESS_PASS_MINUTES") if minutes is None else minutes
    low, high = ACCESS_PASS_MINUTES_MIN, ACCESS_PASS_MINUTES_MAX
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AccessPassError(
            gettext("A pass lasts from %(low)s to %(high)s minutes, not %(value)s.")
            % {"low": low, "high": high, "value": repr(value)}
        )
    return timedelta(minutes=value)


@sensitive_variables("code")
def access_pass_issue(
    *,
    actor: HostUser | None,
    user: HostUser,
    at: datetime,
    client_address: str | None = None,
    minutes: int | None = None,
    request_id: str = "",
) -> IssuedPass | None:
    """A new pass for `user`, ending any open one (audited as revoked), the user e-mailed once the
    transaction commits. `request_id`: the issuing form's random id; a second submission of the
    same form (a double click) issues nothing and returns None."""
    valid_for = lifetime(minutes)
    if not getattr(user, "is_active", True):
        raise AccessPassError(
            gettext("%(name)s is inactive: no pass is issued.")
            % {"name": get_adapter().display_name(user)}
        )
    request_digest = keys.token_digest(f"access-pass-request\x1f{request_id}") if request_id else ""
    with user_guard(user.pk):  # one lock order with the attempts
        if (
            request_digest
            and TemporaryAccessPass.objects.filter(
                user_id=user.pk, request_digest=request_digest
            ).exists()
        ):
            return None
        _end_expired(user, at=at, client_address=client_address)
        _revoke_open(user, actor=actor, at=at, client_address=client_address, replaced=True)
        code = access_pass.generate()
        expires_at = at + valid_for
        TemporaryAccessPass.objects.create(
            user_id=user.pk,
            digest=keys.access_pass_digest(user.pk, code),
            issued_by=actor,
            issued_at=at,
            expires_at=expires_at,
            request_digest=request_digest,
        )
        record(
            Action.ACCESS_PASS_ISSUED,
            Origin(actor, user, client_address, at),
            minutes=int(valid_for.total_seconds() // 60),
            expires_at=expires_at.isoformat(),
        )
        transaction.on_commit(
            lambda: send_access_pass_notice(user=user, at=at, expires_at=expires_at)
        )
    return IssuedPass(code=code, expires_at=expires_at)


def access_pass_revoke(
    *,
    actor: HostUser | None,
    user: HostUser,
    at: datetime,
    client_address: str | None = None,
) -> None:
    """End the user's live pass, audited; AccessPassError when there is none."""
    with user_guard(user.pk):
        _end_expired(user, at=at, client_address=client_address)
        if not _revoke_open(user, actor=actor, at=at, client_address=client_address):
            raise AccessPassError(
                gettext("%(name)s has no Temporary Access Pass to revoke.")
                % {"name": get_adapter().display_name(user)}
            )


def _revoke_open(
    user: HostUser,
    *,
    actor: HostUser | None,
    at: datetime,
    client_address: str | None,
    replaced: bool = False,
) -> int:
    ended = TemporaryAccessPass.objects.filter(user_id=user.pk, ended_at=None).update(
        ended_at=at, outcome=AccessPassOutcome.REVOKED
    )
    if ended:
        record(
            Action.ACCESS_PASS_REVOKED,
            Origin(actor, user, client_address, at),
            **({"reason": "replaced by a new pass"} if replaced else {}),
        )
    return ended


def _end_expired(user: HostUser, *, at: datetime, client_address: str | None) -> int:
    """An open pass past its time ends as expired, audited once (when it is next looked at: by an
    attempt, a new pass, a revocation, or the pass command's sweep)."""
    ended = 0
    expired = TemporaryAccessPass.objects.filter(user_id=user.pk, ended_at=None, expires_at__lte=at)
    for pk, expires_at in expired.values_list("pk", "expires_at"):
        if TemporaryAccessPass.objects.filter(pk=pk, ended_at=None).update(
            ended_at=expires_at, outcome=AccessPassOutcome.EXPIRED
        ):
            ended += 1
            record(
                Action.ACCESS_PASS_EXPIRED,
                Origin(None, user, client_address, at),
                expired_at=expires_at.isoformat(),
            )
    return ended


@sensitive_variables("code")
def access_pass_attempt(
    *,
    token: str | None,
    code: str,
    at: datetime,
    client_address: str | None = None,
    challenge: SignInChallenge | None = None,
) -> Attempt:
    """A pass at the second-factor step: accepted, it removes the old enrollment and keeps the
    token for the enrollment that must follow (the Attempt passes; the sign-in is not complete)."""
    return attempt_on_token(
        token,
        loaded=challenge,
        check=lambda locked: _check(locked, code, at=at, client_address=client_address),
        at=at,
        client_address=client_address,
    )


@sensitive_variables("raw", "code")
def _check(
    locked: LockedChallenge, raw: str, *, at: datetime, client_address: str | None
) -> Verdict:
    user, challenge = locked.user, locked.challenge
    if challenge.access_pass_at is not None:  # a second submission on this sign-in
        return Verdict.refused(ALREADY_ACCEPTED)
    _end_expired(user, at=at, client_address=client_address)
    code = access_pass.normalise(raw)
    if code is None:
        return Verdict.failed(refused_as=INVALID)
    mine = TemporaryAccessPass.objects.filter(
        user_id=user.pk, digest=keys.access_pass_digest(user.pk, code)
    )
    if not mine.filter(ended_at=None, expires_at__gt=at).update(
        ended_at=at, outcome=AccessPassOutcome.USED
    ):
        outcome = mine.order_by("-issued_at").values_list("outcome", flat=True).first()
        if outcome is None:
            return Verdict.failed(refused_as=INVALID)
        return Verdict.replayed(_REFUSALS.get(outcome, ENDED))  # right, but no longer usable
    if locked.authenticator is not None:  # what they had goes: they enroll anew at once
        enrollment_reset(
            actor=user,
            user=user,
            at=at,
            client_address=client_address,
            reason="Temporary Access Pass used",
            notice=False,  # they were told when the pass was issued
            keep_signin=challenge.pk,  # this sign-in goes on to enroll; any other ends
        )
    SignInChallenge.objects.filter(pk=challenge.pk).update(access_pass_at=at)
    challenge.access_pass_at = at
    record(Action.ACCESS_PASS_USED, Origin(user, user, client_address, at))
    return Verdict.admitted(FACTOR)


def access_pass_expire_all(*, at: datetime) -> int:
    """End every open pass past its time, each audited as expired (`portal2fa pass expire`, for an
    audit trail that does not wait for the next look at the user). Returns how many ended."""
    ended = 0
    expired = TemporaryAccessPass.objects.filter(ended_at=None, expires_at__lte=at)
    for found in expired.select_related("user"):
        with user_guard(found.user_id):
            ended += _end_expired(found.user, at=at, client_address=None)
    return ended
