"""The second factor's state in a browser session.

Two ways into the second factor:
- Portal 2FA's own /signin/ page: the password passes, the session stays anonymous and holds only
  the security token; Django's login() happens once the second factor passes (SPEC §6.4).
- Any other login (the host's LoginView, the admin's, an SSO backend): Django has logged the user
  in, but the session is *held* until the second factor passes for that user in this session.
  TwoFactorMiddleware lets a held session reach only the sign-in pages.
Everything here moves a session between those states.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ..policy import NextStep, get_settings, next_step
from ..services.challenge import challenge_issue, signin_without_second_factor
from . import device
from .http import client_address

VERIFIED_KEY = "portal2fa_verified"  # the user key of SESSION_KEY, once the factor passed
TOKEN_KEY = "portal2fa_signin_token"  # the clear security token of this sign-in
NEXT_KEY = "portal2fa_signin_next"  # where to go once the factor passed
BACKEND_KEY = "portal2fa_signin_backend"  # the backend that checked the password (own page)


def is_held(request) -> bool:
    """Logged in by Django, second factor not (yet) passed in this session."""
    user_key = request.session.get(SESSION_KEY)
    return user_key is not None and request.session.get(VERIFIED_KEY) != user_key


def forget(request) -> None:
    """A new login: whatever an earlier one passed, or was going to, does not carry over."""
    for key in (VERIFIED_KEY, TOKEN_KEY, NEXT_KEY, BACKEND_KEY):
        request.session.pop(key, None)


def begin(request, user, *, at, client_address, first_factor: str) -> NextStep:
    """After a first factor: let the session through when 2FA does not apply to the user, else
    issue a new security token (a fresh counter: SPEC §6.3) and tell which step comes next."""
    step = next_step(user, get_settings())
    if step is NextStep.SIGNED_IN:
        signin_without_second_factor(
            user=user, at=at, client_address=client_address, first_factor=first_factor
        )
        complete(request, user)
    else:
        request.session[TOKEN_KEY] = challenge_issue(
            user=user, at=at, client_address=client_address
        )
    return step


def begin_unseen_login(request) -> NextStep | None:
    """For a held session without a token: a login this library did not see (the host's login
    view, an SSO backend). Begins its second factor; None when a token already exists."""
    if TOKEN_KEY in request.session:
        return None
    return begin(
        request,
        request.user,
        at=timezone.now(),
        client_address=client_address(request),
        first_factor="login",
    )


def complete(request, user) -> None:
    """The second factor passed (or does not apply): a new session id, the user logged in (own
    sign-in page) or the held session let through (any other login). Keeps where to go next."""
    target = request.session.get(NEXT_KEY)
    if request.user.is_authenticated and request.user.pk == user.pk:
        request.session.cycle_key()
    else:
        backend = request.session.get(BACKEND_KEY) or settings.AUTHENTICATION_BACKENDS[0]
        login(
            request, user, backend=backend
        )  # rotates the key; the user_logged_in receiver forgets
    request.session.pop(TOKEN_KEY, None)
    request.session.pop(BACKEND_KEY, None)
    if target:
        request.session[NEXT_KEY] = target
    request.session[VERIFIED_KEY] = request.session[SESSION_KEY]
    device.remember(request, user)  # this browser is now known for the account


def safe_local_path(request, candidate: str | None) -> str | None:
    """`candidate` when it is a path of this site ("/…", not "//host" or "/\\host"), else None:
    other hosts would be an open redirect, and redirect() takes other strings for URL names."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return None


def remember_next(request, target: str | None) -> None:
    target = safe_local_path(request, target)
    if target:
        request.session[NEXT_KEY] = target


def take_next(request) -> str:
    target = safe_local_path(request, request.session.pop(NEXT_KEY, None))
    return target or resolve_url(settings.LOGIN_REDIRECT_URL)
