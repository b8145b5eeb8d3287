"""The account's budget of wrong codes across sign-ins (NIST SP 800-63B §5.2.2).

Beside the per-token lockout (services/attempt.py), which a new sign-in clears, this counts *consecutive*
wrong codes per account whatever the sign-in, the page (sign-in, personal enrollment, backup code
regeneration) or the method: after a few, every next try waits a growing delay; at the hard limit
the second factor is locked until an administrator unlocks it (or resets the enrollment). A correct
code sets the count back to zero. A code that was right but is already used (a replay) is no
guess at the secret: the token counts it, this budget does not. Every function here runs inside the caller's transaction, after
serialize_code_checks(user): one check per user at a time, so parallel guesses cannot overshoot.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ..adapter import HostUser
from ..conf import setting
from ..messages import CODE_LOCKED, INVALID, USED, code_budget_delay
from ..models import Authenticator, CodeGuessBudget
from .clock_skew import skew_hint, suspected_skew
from .code_checks import CodeCheck, serialize_code_checks
from .notices import send_code_guessing_notice
from .outcome import Outcome
from .returning import update_returning

LOCKED_MESSAGE = CODE_LOCKED


@dataclass(frozen=True)
class Refusal:
    message: str
    locked: bool  # True: only an administrator helps; False: a later try will be checked


def delay_after(failures: int) -> timedelta | None:
    """The wait after this many consecutive failures (None before the ladder starts)."""
    first_delayed = setting("PORTAL2FA_CODE_FAILURES_BEFORE_DELAY")
    if failures < first_delayed:
        return None
    base, cap = setting("PORTAL2FA_CODE_DELAY_SECONDS"), setting("PORTAL2FA_CODE_DELAY_MAX_SECONDS")
    steps = failures - first_delayed
    seconds = cap if steps >= 64 else min(base * 2**steps, cap)
    return timedelta(seconds=seconds)


def delay_message(next_try_at: datetime, *, at: datetime) -> str:
    minutes = max(1, math.ceil((next_try_at - at).total_seconds() / 60))
    if timezone.is_naive(next_try_at):  # a host with USE_TZ = False
        when = dateformat.format(next_try_at, gettext("H:i"))
    else:
        local = timezone.localtime(next_try_at)
        when = dateformat.format(local, gettext("H:i T")).strip()
    return code_budget_delay(when, minutes)


_UNREAD: Any = object()  # `budget` not read by the caller (None: read, and there is none)


def code_budget_refusal(user_id: int, *, at: datetime, budget: Any = _UNREAD) -> Refusal | None:
    """Why no code may be checked for this account now, or None. Call under the user lock.
    `budget`: the account's CodeGuessBudget (or None) when the caller read it already."""
    if budget is _UNREAD:
        budget = CodeGuessBudget.objects.filter(pk=user_id).first()
    if budget is None:
        return None
    if budget.locked_at is not None:
        return Refusal(LOCKED_MESSAGE, locked=True)
    if budget.next_try_at is not None and budget.next_try_at > at:
        return Refusal(delay_message(budget.next_try_at, at=at), locked=False)
    return None


@contextmanager
def user_guard(user_id: int, *, at: datetime | None = None) -> Iterator[Refusal | None]:
    """One transaction under the per-user lock (serialize_code_checks: one lock order for every
    change to a user's second factor). With `at`: yields the account budget's refusal read under
    that lock (None: a code may be tried now); without it, None."""
    with transaction.atomic():
        serialize_code_checks(user_id)
        yield code_budget_refusal(user_id, at=at) if at is not None else None


def code_failure_count(
    user: HostUser, *, at: datetime, client_address: str | None = None, budget: Any = _UNREAD
) -> Refusal | None:
    """One more consecutive wrong code for this account: the ladder and the lock, audited, with an
    e-mail to the user at the first delay and at the lock (sent once the transaction commits).
    Returns what the next try will meet (a delay, the lock) or None.
    `budget`: the account's CodeGuessBudget (or None) when the caller read it under the lock."""
    if budget is _UNREAD:
        budget = CodeGuessBudget.objects.filter(pk=user.pk).first()
    if budget is not None and budget.locked_at is not None:
        return Refusal(LOCKED_MESSAGE, locked=True)
    # Under the user lock nobody else writes the row: the first failure inserts it (no
    # get_or_create and its SAVEPOINT), later ones count and read it back in one statement.
    if budget is None:
        CodeGuessBudget.objects.create(user_id=user.pk, consecutive_failures=1)
        failures = 1
    else:
        counted = update_returning(
            CodeGuessBudget.objects.filter(pk=user.pk),
            ["consecutive_failures"],
            consecutive_failures=F("consecutive_failures") + 1,
        )
        failures = counted[0][0]
    origin = Origin(user, user, client_address, at)
    if failures >= setting("PORTAL2FA_CODE_FAILURES_LOCK"):
        locked = CodeGuessBudget.objects.filter(pk=user.pk, locked_at=None).update(
            locked_at=at, next_try_at=None
        )
        if locked:
            record(Action.CODE_LOCKED, origin, consecutive_failures=failures)
            transaction.on_commit(lambda: send_code_guessing_notice(user=user, at=at, locked=True))
        return Refusal(LOCKED_MESSAGE, locked=True)
    delay = delay_after(failures)
    if delay is None:
        return None
    CodeGuessBudget.objects.filter(pk=user.pk).update(next_try_at=at + delay)
    previous = delay_after(failures - 1)
    if previous is None or delay > previous:  # a step up of the ladder
        record(
            Action.CODE_DELAY,
            origin,
            consecutive_failures=failures,
            delay_seconds=int(delay.total_seconds()),
        )
    if previous is None:  # the first delay
        transaction.on_commit(lambda: send_code_guessing_notice(user=user, at=at, locked=False))
    return Refusal(delay_message(at + delay, at=at), locked=False)


def code_success(user_id: int, *, budget: Any = _UNREAD) -> None:
    """A correct code: the consecutive count starts again from zero. With `budget` already read
    (None: no row) nothing is written when there is nothing to reset."""
    if budget is not _UNREAD and (
        budget is None or (budget.consecutive_failures == 0 and budget.next_try_at is None)
    ):
        return
    CodeGuessBudget.objects.filter(pk=user_id, locked_at=None).exclude(
        consecutive_failures=0, next_try_at=None
    ).update(consecutive_failures=0, next_try_at=None)


def code_budget_forget(user_id: int) -> None:
    """An enrollment reset: the account starts again with a clean budget (and no lock)."""
    CodeGuessBudget.objects.filter(pk=user_id).delete()


def code_refused(
    check: CodeCheck,
    *,
    authenticator: Authenticator,
    code: str,
    user: HostUser,
    at: datetime,
    window: int,
    client_address: str | None = None,
) -> Outcome:
    """A current code refused before a change on the personal page, under user_guard(): counted
    on the account's budget unless it was a replay (no guess at the secret), with the clock hint
    when the code matched another moment."""
    if check is CodeCheck.USED:
        return Outcome(False, USED)
    refusal = code_failure_count(user, at=at, client_address=client_address)
    skew = None
    if check is CodeCheck.INVALID:
        skew = suspected_skew(authenticator, code, at=at, window=window)
    hint = f" {skew_hint(skew)}" if skew is not None else ""
    if refusal:
        return Outcome(False, f"{INVALID}{hint} {refusal.message}")
    return Outcome(False, INVALID + hint)
