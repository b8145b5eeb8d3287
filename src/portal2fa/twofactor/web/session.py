"""The second factor's state in a browser session.

A session is *held* when Django's auth has a user logged in (by any login view or backend) but
the second factor has not passed for that user in this session. TwoFactorMiddleware lets a held
session reach only the sign-in pages; everything here is what moves a session out of that state.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.shortcuts import resolve_url

from ..policy import NextStep, get_settings, next_step
from ..services.challenge import challenge_issue, signin_without_second_factor
from . import device

VERIFIED_KEY = "portal2fa_verified"  # the user key of SESSION_KEY, once the factor passed
TOKEN_KEY = "portal2fa_signin_token"  # the clear security token of this sign-in
NEXT_KEY = "portal2fa_signin_next"  # where to go once the factor passed


def is_held(request) -> bool:
    user_key = request.session.get(SESSION_KEY)
    return user_key is not None and request.session.get(VERIFIED_KEY) != user_key


def forget(request) -> None:
    """A new login: whatever an earlier one passed does not carry over."""
    request.session.pop(VERIFIED_KEY, None)
    request.session.pop(TOKEN_KEY, None)


def mark_passed(request) -> None:
    """The factor passed (or does not apply): a new session id, then the session is let through."""
    request.session.cycle_key()
    request.session.pop(TOKEN_KEY, None)
    request.session[VERIFIED_KEY] = request.session[SESSION_KEY]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        device.remember(request, user)  # this browser is now known for the account


def begin(request, user, *, at, client_address, first_factor: str) -> NextStep:
    """After a login: let the session through when 2FA does not apply to the user, else issue a
    new security token (a fresh counter: SPEC §6.3) and tell which step comes next."""
    step = next_step(user, get_settings())
    if step is NextStep.SIGNED_IN:
        signin_without_second_factor(
            user=user, at=at, client_address=client_address, first_factor=first_factor
        )
        mark_passed(request)
    else:
        request.session[TOKEN_KEY] = challenge_issue(
            user=user, at=at, client_address=client_address
        )
    return step


def remember_next(request, target: str) -> None:
    request.session[NEXT_KEY] = target


def take_next(request) -> str:
    return request.session.pop(NEXT_KEY, None) or resolve_url(settings.LOGIN_REDIRECT_URL)
