"""Self-service regeneration of backup codes, after a current authenticator code (step-up) or a
confirmation with a passkey (passkeys/step_up.py)."""

from datetime import datetime

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..core import totp
from ..machinery import code_budget, code_checks, counters
from ..machinery.code_budget import user_guard
from ..machinery.outcome import Outcome
from ..machinery.policy import current_policy
from ..machinery.step_up_grants import confirmed_refusal
from ..models import Authenticator

NO_APP = messages.NO_APP_FOR_CODE


def backup_codes_regenerate(
    *, user: HostUser, code: str, at: datetime, client_address: str | None = None
) -> Outcome:
    code = totp.normalise(code)  # any space or dash people paste
    if not totp.looks_like_totp(code):
        return Outcome(False, messages.TOTP_EXPECTED)
    # Under the per-user lock, failure counted in the same transaction
    with user_guard(user.pk, at=at) as refusal:
        if refusal:
            return Outcome(False, refusal.message)
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is None:
            return Outcome(False, messages.NOT_ENROLLED)
        if not authenticator.has_app:  # no code can match: no guess to count either
            return Outcome(False, NO_APP)
        policy = current_policy()
        check = code_checks.consume_totp(authenticator, code, at=at, window=policy.clock_skew_steps)
        if check.ok:
            code_budget.code_success(user.pk)
            new_codes = _new_set(
                user,
                authenticator,
                policy.backup_codes_per_set,
                at=at,
                client_address=client_address,
            )
            return Outcome(True, backup_codes=tuple(new_codes))
        return code_budget.code_refused(
            check,
            authenticator=authenticator,
            code=code,
            user=user,
            at=at,
            window=policy.clock_skew_steps,
            client_address=client_address,
        )


def backup_codes_regenerate_confirmed(
    *,
    user: HostUser,
    nonce: str,
    at: datetime,
    client_address: str | None = None,
    confirmed_with: str = "passkey",
) -> Outcome:
    """Regeneration after the user confirmed with a passkey (passkeys/step_up.py) instead of a
    code: no code is checked here; a lock or a reset since the confirmation still refuses."""
    with user_guard(user.pk):
        refusal = confirmed_refusal(user, at=at, nonce=nonce)
        if refusal:
            return Outcome(False, refusal)
        authenticator = Authenticator.objects.get(user=user)
        new_codes = _new_set(
            user,
            authenticator,
            current_policy().backup_codes_per_set,
            at=at,
            client_address=client_address,
            confirmed_with=confirmed_with,
        )
    return Outcome(True, backup_codes=tuple(new_codes))


def _new_set(
    user: HostUser,
    authenticator: Authenticator,
    count: int,
    *,
    at: datetime,
    client_address: str | None,
    **detail: object,
) -> list[str]:
    """A new set replaces the old one, the Overview's buckets follow, audited. Under the lock."""
    _, before = counters.locked_state(pk=authenticator.pk)
    new_codes = code_checks.issue_backup_codes(authenticator, count=count)
    counters.move(before.buckets(), before.replace(remaining=count, issued=count).buckets())
    record(
        Action.BACKUP_CODES_REGENERATED,
        Origin(user, user, client_address, at),
        count=len(new_codes),
        **detail,
    )
    return new_codes
