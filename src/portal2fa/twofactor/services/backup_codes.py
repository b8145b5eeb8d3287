"""Self-service regeneration of backup codes, after a current authenticator code (step-up) or a
confirmation with a passkey (services/step_up.py)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ...audit.models import Action
from ...audit.services import record
from .. import counters, messages, totp
from ..models import Authenticator
from ..policy import get_settings
from . import code_budget
from . import codes as code_checks
from .clock_skew import skew_hint, suspected_skew
from .step_up import confirmed_refusal

NO_APP = messages.NO_APP_FOR_CODE


@dataclass(frozen=True)
class Regeneration:
    ok: bool
    message: str = ""
    backup_codes: tuple[str, ...] = ()


def backup_codes_regenerate(*, user, code: str, at: datetime, client_address=None) -> Regeneration:
    code = totp.normalise(code)  # any space or dash people paste
    if not totp.looks_like_totp(code):
        return Regeneration(False, messages.TOTP_EXPECTED)
    with transaction.atomic():  # under the per-user lock, failure counted in the same transaction
        code_checks.serialize_code_checks(user.pk)
        refusal = code_budget.code_budget_refusal(user.pk, at=at)
        if refusal:
            return Regeneration(False, refusal.message)
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is None:
            return Regeneration(False, messages.NOT_ENROLLED)
        if not authenticator.has_app:  # no code can match: no guess to count either
            return Regeneration(False, NO_APP)
        policy = get_settings()
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
            return Regeneration(True, backup_codes=tuple(new_codes))
        refusal = skew = None
        if check is not code_checks.CodeCheck.USED:  # a replayed code is no guess at the secret
            refusal = code_budget.code_failure_count(user, at=at, client_address=client_address)
        if check is code_checks.CodeCheck.INVALID:
            skew = suspected_skew(authenticator, code, at=at, window=policy.clock_skew_steps)
    if check is code_checks.CodeCheck.USED:
        return Regeneration(False, messages.USED)
    hint = f" {skew_hint(skew)}" if skew is not None else ""
    if refusal:
        return Regeneration(False, f"{messages.INVALID}{hint} {refusal.message}")
    return Regeneration(False, messages.INVALID + hint)


def backup_codes_regenerate_confirmed(
    *, user, nonce: str, at: datetime, client_address=None, confirmed_with: str = "passkey"
) -> Regeneration:
    """Regeneration after the user confirmed with a passkey (services/step_up.py) instead of a
    code: no code is checked here; a lock or a reset since the confirmation still refuses."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        refusal = confirmed_refusal(user, at=at, nonce=nonce)
        if refusal:
            return Regeneration(False, refusal)
        authenticator = Authenticator.objects.get(user=user)
        new_codes = _new_set(
            user,
            authenticator,
            get_settings().backup_codes_per_set,
            at=at,
            client_address=client_address,
            confirmed_with=confirmed_with,
        )
    return Regeneration(True, backup_codes=tuple(new_codes))


def _new_set(
    user, authenticator, count: int, *, at: datetime, client_address, **detail
) -> list[str]:
    """A new set replaces the old one, the Overview's buckets follow, audited. Under the lock."""
    _, before = counters.locked_state(pk=authenticator.pk)
    new_codes = code_checks.issue_backup_codes(authenticator, count=count)
    counters.move(before.buckets(), before.replace(remaining=count, issued=count).buckets())
    record(
        Action.BACKUP_CODES_REGENERATED,
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
        count=len(new_codes),
        **detail,
    )
    return new_codes
