"""Self-service password change: the current password plus a current second factor
when enrolled; Django's password validators; the user's other sessions end; audited; a notice."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import record
from .. import keys, messages
from ..conf import setting
from ..models import Authenticator
from ..policy import get_settings
from . import code_budget
from . import codes as code_checks
from .notices import send_password_changed_notice
from .sessions import sessions_end_others
from .step_up import confirmed_refusal
from .throttle import throttle_fail, throttle_release, throttle_reserve
from .trusted_browsers import trusted_browsers_revoke_all

WRONG_PASSWORD_WINDOW = timedelta(minutes=15)
TOO_MANY = messages.TOO_MANY_CURRENT_PASSWORDS


@dataclass(frozen=True)
class PasswordChange:
    ok: bool
    errors: dict  # field name ("" for the form) -> list of messages
    generation: int = 0  # the user's new session generation (keep the current session with it)


def _refused(field: str, message) -> PasswordChange:
    return PasswordChange(False, {field: message if isinstance(message, list) else [message]})


def needs_code(user) -> bool:
    return Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists()


@sensitive_variables("current_password", "new_password", "code")
def password_change(
    *,
    user,
    current_password: str,
    new_password: str,
    code: str | None,
    at: datetime,
    client_address=None,
    keep_session_key: str | None = None,
    confirmation: str | None = None,
) -> PasswordChange:
    """`confirmation`: the nonce of a passkey confirmation (services/step_up.py), used instead of
    a code and consumed only once the passwords have passed."""
    wrong_key = keys.throttle_key("password-change", str(user.pk))
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)  # one lock order with the code checks
        limit = setting("PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT")
        # In flight during the check, then a failure or given back (services/throttle.py): exact.
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
                authenticator, code or "", at=at, window=get_settings().clock_skew_steps
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
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            second_factor=bool(authenticator),
            **({"confirmed_with": "passkey"} if authenticator and confirmation is not None else {}),
        )
        generation = sessions_end_others(user=user, keep_session_key=keep_session_key)
        transaction.on_commit(lambda: send_password_changed_notice(user=user, at=at))
    return PasswordChange(True, {}, generation)
