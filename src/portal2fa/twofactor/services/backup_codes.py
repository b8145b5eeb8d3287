"""Self-service regeneration of backup codes, after a current authenticator code (step-up)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ...audit.models import Action
from ...audit.services import record
from .. import counters, totp
from ..models import Authenticator
from ..policy import get_settings
from . import codes as code_checks


@dataclass(frozen=True)
class Regeneration:
    ok: bool
    message: str = ""
    backup_codes: tuple[str, ...] = ()


def backup_codes_regenerate(*, user, code: str, at: datetime, client_address=None) -> Regeneration:
    code = code.strip().replace(" ", "")
    if not totp.looks_like_totp(code):
        return Regeneration(False, "Enter the 6-digit code from your authenticator app.")
    with transaction.atomic():  # under the per-user lock, failure counted in the same transaction
        code_checks.serialize_code_checks(user.pk)
        if code_checks.account_code_budget_spent(user.pk, at=at):
            return Regeneration(False, code_checks.ACCOUNT_LOCKED_MESSAGE)
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is None:
            return Regeneration(False, "Set up your authenticator app first.")
        policy = get_settings()
        check = code_checks.consume_totp(authenticator, code, at=at, window=policy.clock_skew_steps)
        if check.ok:
            _, before = counters.locked_state(pk=authenticator.pk)  # locked by consume_totp
            count = policy.backup_codes_per_set
            new_codes = code_checks.issue_backup_codes(authenticator, count=count)
            counters.move(before.buckets(), before.replace(remaining=count, issued=count).buckets())
            record(
                Action.BACKUP_CODES_REGENERATED,
                actor=user,
                target=user,
                client_address=client_address,
                at=at,
                count=len(new_codes),
            )
            return Regeneration(True, backup_codes=tuple(new_codes))
        code_checks.count_code_failure(user.pk, at=at)
    if check is code_checks.CodeCheck.USED:
        return Regeneration(False, "This code was already used.")
    return Regeneration(False, "Invalid code.")
