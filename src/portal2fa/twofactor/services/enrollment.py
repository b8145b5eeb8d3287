"""Enrollment: begin (issue a pending secret), confirm (first valid code), reset (admin)."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser, get_adapter
from ..core import totp
from ..machinery import code_budget, code_checks, counters, keys
from ..machinery.clock_skew import skew_hint, suspected_skew
from ..machinery.code_budget import user_guard
from ..machinery.notices import send_reset_notice
from ..machinery.outcome import Outcome
from ..machinery.policy import current_policy
from ..machinery.session_generation import sessions_end_others
from ..models import (
    Authenticator,
    EnrollmentDeadline,
    EnrollmentState,
    ReenrollmentDue,
    WebAuthnCredential,
)
from .trusted_browsers import trusted_browsers_revoke_all


class EnrollmentError(Exception):
    """A request the enrollment cannot honour; the message is safe to show."""


def enrollment_begin(
    *, user: HostUser, at: datetime, client_address: str | None = None
) -> Authenticator:
    """The user's authenticator, creating a Pending one with a fresh secret when there is none.

    A Pending secret is kept, so a user who scanned the QR code and abandoned can still finish.
    """
    existing = Authenticator.objects.filter(user=user).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            authenticator = Authenticator.objects.create(
                user=user,
                encrypted_secret=keys.encrypt_secret(totp.new_secret()),
                created_at=at,
                user_active=locked_is_active(user),
            )
            counters.move((), counters.counted_state(authenticator).buckets())
            record(
                Action.ENROLLMENT_STARTED,
                Origin(user, user, client_address, at),
            )
    except IntegrityError:  # a concurrent request created it first: use that one
        return Authenticator.objects.get(user=user)
    return authenticator


def locked_is_active(user: HostUser) -> bool:
    """The user's is_active as committed, the row locked (NO KEY UPDATE, as the code checks and a
    (de)activation take it): a concurrent deactivation then cannot miss the new authenticator."""
    if not hasattr(user, "is_active"):
        return True
    users = get_user_model()._base_manager.select_for_update(no_key=True).filter(pk=user.pk)
    found = users.values_list("is_active", flat=True).first()
    return bool(user.is_active if found is None else found)


@sensitive_variables("code")
def confirm_pending(
    authenticator: Authenticator, code: str, *, at: datetime, client_address: str | None
) -> Outcome:
    """Check the first code of a Pending authenticator; on success it becomes Enrolled with codes.

    Runs inside the caller's transaction. The confirming step is stored, so that code cannot sign in.
    """
    policy = current_policy()
    step = code_checks.matching_step(authenticator, code, at=at, window=policy.clock_skew_steps)
    if step is None:
        return Outcome(False)
    confirmed = Authenticator.objects.filter(pk=authenticator.pk, confirmed_at=None).update(
        confirmed_at=at, last_used_step=step
    )
    if not confirmed:  # confirmed concurrently or reset meanwhile
        return Outcome(False, messages.USED)
    new_codes = code_checks.issue_backup_codes(authenticator, count=policy.backup_codes_per_set)
    _, now_state = counters.locked_state(pk=authenticator.pk)  # row locked by our UPDATE
    counters.move(now_state.replace(confirmed=False).buckets(), now_state.buckets())
    user = authenticator.user
    ReenrollmentDue.objects.filter(user_id=authenticator.user_id).delete()
    EnrollmentDeadline.objects.filter(user_id=authenticator.user_id).delete()  # enrolled: no date
    record(Action.ENROLLMENT_COMPLETED, Origin(user, user, client_address, at))
    return Outcome(True, backup_codes=tuple(new_codes))


def enrollment_confirm(
    *, user: HostUser, code: str, at: datetime, client_address: str | None = None
) -> Outcome:
    """Confirm a Pending enrollment from the personal page (the user is already signed in)."""
    # Under the per-user lock, failure counted in the same transaction
    with user_guard(user.pk, at=at) as refusal:
        if refusal:
            return Outcome(False, refusal.message)
        authenticator = Authenticator.objects.filter(user=user).first()
        if authenticator is None or authenticator.confirmed_at:
            raise EnrollmentError(messages.NO_PENDING_ENROLLMENT)
        result = confirm_pending(authenticator, code, at=at, client_address=client_address)
        if result.ok:
            code_budget.code_success(user.pk)
        elif not result.message:
            refusal = code_budget.code_failure_count(user, at=at, client_address=client_address)
            skew = suspected_skew(
                authenticator, code, at=at, window=current_policy().clock_skew_steps
            )
            if skew is not None:
                record(
                    Action.SECOND_FACTOR_FAILED,
                    Origin(user, user, client_address, at),
                    clock_skew_steps=skew,
                )
            if skew is not None:
                hint = skew_hint(skew)
            elif refusal is None:
                hint = messages.CHECK_CLOCK
            else:
                hint = ""
            parts = (messages.INVALID, hint, refusal.message if refusal else "")
            return Outcome(False, " ".join(str(part) for part in parts if part))
    return result


class NothingToReset(EnrollmentError):
    pass


@dataclass(frozen=True)
class ResetSummary:
    """What a reset removed (the CLI prints it; the audit event keeps it)."""

    authenticator_app: bool
    backup_codes: int  # unused codes
    passkeys: int
    trusted_browsers: int

    def __str__(self) -> str:
        parts = ["an authenticator app" if self.authenticator_app else "no authenticator app"]
        parts.append(_count(self.backup_codes, "unused backup code"))
        parts.append(_count(self.passkeys, "passkey or security key", "passkeys or security keys"))
        parts.append(_count(self.trusted_browsers, "trusted browser"))
        return "Removed: " + ", ".join(parts) + "."


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def enrollment_reset(
    *,
    actor: HostUser | None,
    user: HostUser,
    at: datetime,
    client_address: str | None = None,
    reason: str = "",
    notice: bool = True,
    keep_signin: int | None = None,
) -> ResetSummary:
    """Remove the secret, the pending state, every backup code and every passkey in one
    transaction, audited, then email the user a security notice once the transaction has
    committed (`notice`: not when the user resets it themselves, with a Temporary Access Pass).
    The user's sessions and sign-ins in progress end, but for `keep_signin`: the sign-in whose
    Temporary Access Pass made the reset, which goes on to enroll anew."""
    reason = reason.strip()
    if len(reason) > 500 or not reason.isprintable():
        raise EnrollmentError(
            gettext("The reason must be printable text of at most 500 characters.")
        )
    with user_guard(user.pk):  # same lock order as the code checks
        authenticator = Authenticator.objects.select_for_update().filter(user=user).first()
        if authenticator is None:
            raise NothingToReset(
                gettext("%(name)s has not started enrollment: there is nothing to reset.")
                % {"name": get_adapter().display_name(user)}
            )
        with translation.override(None):  # stored in the audit trail: English, whoever reads
            previous_state = str(authenticator.state.label)
        was_enrolled = authenticator.state is EnrollmentState.ENROLLED
        authenticator.delete()  # cascades to the backup codes; counters: signals.py
        passkeys = WebAuthnCredential.objects.filter(user=user).delete()[0]  # every factor goes
        code_budget.code_budget_forget(user.pk)  # clears a lock by invalid codes, not the token's
        # A session on the lost phone must not stay signed in, nor a sign-in finish there.
        sessions_end_others(user=user, keep_signin=keep_signin)
        trusted = trusted_browsers_revoke_all(
            user=user, actor=actor, at=at, client_address=client_address, reason="enrollment reset"
        )
        if was_enrolled:  # whether or not a role requires it: lead them through enrollment again
            ReenrollmentDue.objects.update_or_create(user=user, defaults={"since": at})
        record(
            Action.ENROLLMENT_RESET,
            Origin(actor, user, client_address, at),
            previous_state=previous_state,
            reason=reason,
            **({"passkeys_removed": passkeys} if passkeys else {}),
        )
        if notice:
            needs_pass = current_policy().reset_needs_access_pass
            transaction.on_commit(
                lambda: send_reset_notice(user=user, at=at, needs_access_pass=needs_pass)
            )
    return ResetSummary(
        authenticator_app=authenticator.has_app and was_enrolled,
        backup_codes=authenticator.backup_codes_remaining,
        passkeys=passkeys,
        trusted_browsers=trusted,
    )
