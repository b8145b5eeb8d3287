"""Self-service password change (issue 8): the current password plus a current second factor
when enrolled; Django's password validators; the user's other sessions end; audited; a notice."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import record
from .. import keys
from ..conf import setting
from ..models import Authenticator
from ..policy import get_settings
from . import codes as code_checks
from .notices import send_password_changed_notice
from .sessions import sessions_end_others
from .throttle import throttle_exceeded, throttle_hit

WRONG_PASSWORD_WINDOW = timedelta(minutes=15)
TOO_MANY = "Too many wrong current passwords. Try again later."


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
) -> PasswordChange:
    wrong_key = keys.throttle_key("password-change", str(user.pk))
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)  # one lock order with the code checks
        limit = setting("PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT")
        if throttle_exceeded(key=wrong_key, limit=limit, window=WRONG_PASSWORD_WINDOW, at=at):
            return _refused("", TOO_MANY)
        if not user.check_password(current_password):
            throttle_hit(key=wrong_key, window=WRONG_PASSWORD_WINDOW, at=at)
            return _refused("current_password", "Your current password is incorrect.")
        try:  # before the code, so a code is not spent on a password that is refused
            validate_password(new_password, user)
        except ValidationError as error:
            return _refused("new_password1", list(error.messages))
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is not None:
            if code_checks.account_code_budget_spent(user.pk, at=at):
                return _refused("code", code_checks.ACCOUNT_LOCKED_MESSAGE)
            check = code_checks.consume_code(
                authenticator, code or "", at=at, window=get_settings().clock_skew_steps
            )
            if not check.ok:
                code_checks.count_code_failure(user.pk, at=at)
                used = check is code_checks.CodeCheck.USED
                return _refused("code", "This code was already used." if used else "Invalid code.")
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(
            Action.PASSWORD_CHANGED,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            second_factor=bool(authenticator),
        )
        generation = sessions_end_others(user=user, keep_session_key=keep_session_key)
        transaction.on_commit(lambda: send_password_changed_notice(user=user, at=at))
    return PasswordChange(True, {}, generation)
