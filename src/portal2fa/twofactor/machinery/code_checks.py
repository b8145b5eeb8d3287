"""Checking a code against an enrolled authenticator, and issuing backup codes.

Each check changes the single-use state with one conditional UPDATE whose row count decides, so two
processes racing with the same code cannot both succeed.
"""

import enum
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.views.decorators.debug import sensitive_variables

from ..core import backup_codes, totp
from ..models import Authenticator, BackupCode
from . import counters, keys


class CodeCheck(enum.Enum):
    TOTP = "totp"
    BACKUP = "backup"
    EMAIL = "email"  # an email code (services/email_codes.py)
    SMS = "sms"  # an SMS code (the same service)
    USED = "used"
    INVALID = "invalid"

    @property
    def ok(self) -> bool:
        return self in (CodeCheck.TOTP, CodeCheck.BACKUP, CodeCheck.EMAIL, CodeCheck.SMS)


def serialize_code_checks(user_id: int) -> None:
    """Lock the user's row for the rest of the transaction: one code check per user at a time, so
    parallel guesses cannot all read the account budget before any of them records a failure.
    Every transaction that changes a user's 2FA state takes this lock first (one lock order).
    (SQLite needs no row lock: our transactions there are IMMEDIATE, one writer at a time.)"""
    # NO KEY UPDATE: does not block the KEY SHARE locks that inserting an audit row (a foreign key
    # to the user) takes, so other transactions writing audit events cannot deadlock with us.
    users = get_user_model().objects.select_for_update(no_key=True)
    users.filter(pk=user_id).values_list("pk").first()


@sensitive_variables("secret", "code")
def matching_step(
    authenticator: Authenticator, code: str, *, at: datetime, window: int
) -> int | None:
    """The time step `code` matches for this authenticator within ±window steps, else None.
    "123 456", as apps display codes, is accepted. Marking the step used is the caller's.
    An enrollment without an authenticator app (passkeys alone) matches no code."""
    if not authenticator.has_app:
        return None
    secret = keys.decrypt_secret(authenticator.encrypted_secret)
    return totp.matching_step(secret, totp.normalise(code), at=at, window=window)


def consume_totp(
    authenticator: Authenticator, code: str, *, at: datetime, window: int
) -> CodeCheck:
    step = matching_step(authenticator, code, at=at, window=window)
    if step is None:
        return CodeCheck.INVALID
    newer = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    if Authenticator.objects.filter(newer, pk=authenticator.pk).update(last_used_step=step):
        return CodeCheck.TOTP
    return CodeCheck.USED


def consume_backup_code(authenticator: Authenticator, raw: str, *, at: datetime) -> CodeCheck:
    code = backup_codes.normalise(raw)
    if code is None:
        return CodeCheck.INVALID
    digest = keys.backup_code_digest(code)
    unused = BackupCode.objects.filter(authenticator=authenticator, digest=digest, used_at=None)
    if unused.update(used_at=at):
        Authenticator.objects.filter(pk=authenticator.pk).update(
            backup_codes_remaining=F("backup_codes_remaining") - 1
        )
        _, after = counters.locked_state(pk=authenticator.pk)  # locked by our UPDATE
        counters.move(after.replace(remaining=after.remaining + 1).buckets(), after.buckets())
        return CodeCheck.BACKUP
    if BackupCode.objects.filter(authenticator=authenticator, digest=digest).exists():
        return CodeCheck.USED
    return CodeCheck.INVALID


def consume_code(authenticator: Authenticator, raw: str, *, at: datetime, window: int) -> CodeCheck:
    """A 6-digit TOTP code or a backup code, for an enrolled authenticator."""
    code = totp.normalise(raw)
    if totp.looks_like_totp(code):
        return consume_totp(authenticator, code, at=at, window=window)
    return consume_backup_code(authenticator, raw, at=at)


def issue_backup_codes(authenticator: Authenticator, *, count: int) -> list[str]:
    """Replace the whole set: old codes stop working in the same transaction. Returns clear codes."""
    codes = backup_codes.generate(count)
    BackupCode.objects.filter(authenticator=authenticator).delete()
    BackupCode.objects.bulk_create(
        BackupCode(authenticator=authenticator, digest=keys.backup_code_digest(code))
        for code in codes
    )
    Authenticator.objects.filter(pk=authenticator.pk).update(
        backup_codes_remaining=count, backup_codes_issued=count
    )
    return codes
