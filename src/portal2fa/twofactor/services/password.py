"""The password step of Portal 2FA's own sign-in page, through django.contrib.auth.authenticate()
(so any authentication backend works), throttled per account and per client address.

Kept apart from the second-factor counters, so a password guesser cannot lock a user out of
their codes. Hosts with their own login page do not use this: the middleware takes over after
their login.
"""

import unicodedata
from datetime import datetime, timedelta

from django.contrib.auth import authenticate

from ...audit.models import Action
from ...audit.services import record
from .. import keys
from ..adapter import get_adapter
from ..conf import setting
from .throttle import throttle_exceeded, throttle_hit

PASSWORD_FAILURE_WINDOW = timedelta(minutes=15)
INVALID_CREDENTIALS = "The email or password is incorrect."
THROTTLED = "Too many failed sign-in attempts. Wait a few minutes and try again."


class SignInRefused(Exception):
    pass


def canonical_identifier(identifier: str) -> str:
    """One spelling per account for throttle keys: Unicode NFKC, then case folding."""
    return unicodedata.normalize("NFKC", identifier.strip()).casefold()


def password_authenticate(
    request, *, identifier: str, password: str, at: datetime, client_address=None
):
    """The active user for these credentials, or SignInRefused with a message safe to show."""
    account_key = keys.throttle_key("password-account", canonical_identifier(identifier))
    address_key = keys.throttle_key("password-address", client_address or "unknown")
    window = PASSWORD_FAILURE_WINDOW
    limits = (
        (account_key, setting("PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT")),
        (address_key, setting("PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS")),
    )
    if any(throttle_exceeded(key=key, limit=limit, window=window, at=at) for key, limit in limits):
        raise SignInRefused(THROTTLED)
    user = authenticate(request, username=identifier.strip(), password=password)
    if user is None:
        for key, _ in limits:
            throttle_hit(key=key, window=window, at=at)
        known = get_adapter().find_user(identifier)  # for the audit filter
        record(Action.SIGNIN_PASSWORD_FAILED, target=known, client_address=client_address, at=at)
        raise SignInRefused(INVALID_CREDENTIALS)
    return user
