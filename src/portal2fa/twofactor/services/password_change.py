"""Self-service password change: the current password plus a current second factor
when enrolled; Django's password validators; the user's other sessions end; audited; a notice."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..conf import setting
from ..machinery import code_budget, code_checks, keys
from ..machinery.code_budget import user_guard
from ..machinery.notices import send_password_changed_notice
from ..machinery.policy import current_policy
from ..machinery.session_generation import sessions_end_others
from ..machinery.step_up_grants import confirmed_refusal
from ..machinery.throttle import throttle_fail, throttle_release, throttle_reserve
from ..models import Authenticator
from .trusted_browsers import trusted_browsers_revoke_all

WRONG_PASSWORD_WINDOW = timedelta(minutes=15)
TOO_MANY = messages.TOO_MANY_CURRENT_PASSWORDS


@dataclass(frozen=True)
class PasswordChange:
    ok: bool
    errors: dict[str, list[str]]  # field name ("" for the form) -> list of messages
    generation: int = 0  # the user's new session generation (keep the current session with it)


def _refused(field: str, message: str | list[str]) -> PasswordChange:
    return PasswordChange(False, {field: message if isinstance(message, list) else [message]})


def needs_code(user: HostUser) -> bool:
    return Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists()


@sensitive_variables("current_password", "new_password", "code")
def password_change(
    *,
    user: HostUser,
    current_password: str,
    new_password: str,
    code: str | None,
    at: datetime,
    client_address: str | None = None,
    keep_session_key: str | None = None,
    confirmation: str | None = None,
) -> PasswordChange:
    """`confirmation`: the nonce of a passkey confirmation (passkeys/step_up.py), used instead of
    a code and consumed only once the passwords have passed."""
    wrong_key = keys.throttle_key("password-change", str(user.pk))
    with user_guard(user.pk):  # one lock order with the code checks
        limit = setting("PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT")
        # In flight during the check, then a failure or given back (machinery/throttle.py): exact.
        reserved = throttle_reserve(
            limits=[(wrong_key, limit)], window=WRONG_PASSWORD_WINDOW, at=at
        )
        if reserved is None:
            return _refused("", TOO_MANY)
        if not user.check_password(current_password):
            throttle_fail(reserved)
            return _refused("current_password", messages.CURRENT_PASSWORD_WRONG)
        throttle_release(reserved)
        try:  # before the code, so a code is not spent on a password that is refused
            validate_password(new_password, user)
        except ValidationError as error:
            return _refused("new_password1", list(error.messages))
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is not None and confirmation is not None:
            refused = confirmed_refusal(user, at=at, nonce=confirmation)
            if refused:
                return _refused("code", refused)
        elif authenticator is not None:
            refusal = code_budget.code_budget_refusal(user.pk, at=at)
            if refusal:  # not evaluated: the account's budget says wait, or is locked
                return _refused("code", refusal.message)
            check = code_checks.consume_code(
                authenticator, code or "", at=at, window=current_policy().clock_skew_steps
            )
            if check is code_checks.CodeCheck.USED:  # a replayed code is no guess at the secret
                return _refused("code", messages.USED)
            if not check.ok:
                refusal = code_budget.code_failure_count(user, at=at, client_address=client_address)
                suffix = f" {refusal.message}" if refusal else ""
                return _refused("code", messages.INVALID + suffix)
            code_budget.code_success(user.pk)
        # Before the save, whose receiver revokes them too (any hash change), as no one's act
        trusted_browsers_revoke_all(
            user=user, at=at, client_address=client_address, reason="password changed"
        )
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(
            Action.PASSWORD_CHANGED,
            Origin(user, user, client_address, at),
            second_factor=bool(authenticator),
            **({"confirmed_with": "passkey"} if authenticator and confirmation is not None else {}),
        )
        generation = sessions_end_others(user=user, keep_session_key=keep_session_key)
        transaction.on_commit(lambda: send_password_changed_notice(user=user, at=at))
    return PasswordChange(True, {}, generation)
