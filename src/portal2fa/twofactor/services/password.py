"""The password step of Portal 2FA's own sign-in page, through django.contrib.auth.authenticate()
(so any authentication backend works), throttled per account and per client address.

Kept apart from the second-factor counters, so a password guesser cannot lock a user out of
their codes. Hosts with their own login page do not use this: the middleware takes over after
their login.

No lockout by strangers (OWASP "Slow down online guessing attacks with device cookies"): a
browser that completed a sign-in for the account carries a signed device cookie (web/device.py);
its failures count against its own per-device budget, while untrusted browsers share the
per-account and per-address budgets. So strangers' wrong passwords do not keep the owner's known
browser out. Each budget is checked and counted atomically (machinery/throttle.py).
"""

from datetime import datetime, timedelta

from django.contrib.auth import authenticate
from django.http import HttpRequest

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser, get_adapter
from ..conf import setting
from ..core.canonical import canonical_identifier
from ..machinery import keys
from ..machinery.throttle import throttle_fail, throttle_release, throttle_reserve
from .challenge import challenges_prune

__all__ = ["SignInRefused", "canonical_identifier", "device_account", "password_authenticate"]

PASSWORD_FAILURE_WINDOW = timedelta(minutes=15)
INVALID_CREDENTIALS = messages.INVALID_CREDENTIALS
THROTTLED = messages.THROTTLED


class SignInRefused(Exception):
    pass


def device_account(identifier: str) -> str:
    """What a device cookie names: a keyed hash of the canonical account name (never in clear)."""
    return keys.throttle_key("device-account", canonical_identifier(identifier))


def password_authenticate(
    request: HttpRequest | None,
    *,
    identifier: str,
    password: str,
    at: datetime,
    client_address: str | None = None,
    device: str | None = None,
) -> HostUser:
    """The active user for these credentials, or SignInRefused with a message safe to show.

    `device`: the id of a valid device cookie naming this account (web/device.py), or None."""
    if device:
        limits = [
            (
                keys.throttle_key("password-device", device_account(identifier), device),
                setting("PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE"),
            )
        ]
    else:
        limits = [
            (
                keys.throttle_key("password-account", canonical_identifier(identifier)),
                setting("PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT"),
            ),
            (
                keys.throttle_key("password-address", client_address or "unknown"),
                setting("PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS"),
            ),
        ]
    reserved = throttle_reserve(limits=limits, window=PASSWORD_FAILURE_WINDOW, at=at)
    if reserved is None:
        raise SignInRefused(THROTTLED)
    user = authenticate(request, username=identifier.strip(), password=password)
    if user is None:
        throttle_fail(reserved)
        challenges_prune(at=at)  # a failure pays for the housekeeping: a success stays short
        known = get_adapter().find_user(identifier)  # for the audit filter
        record(Action.SIGNIN_PASSWORD_FAILED, Origin(None, known, client_address, at))
        raise SignInRefused(INVALID_CREDENTIALS)
    throttle_release(reserved)
    return user
