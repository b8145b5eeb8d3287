"""The second factor's state in a browser session.

A session is *held* when Django's auth has a user logged in (by any login view or backend) but
the second factor has not passed for that user in this session. TwoFactorMiddleware lets a held
session reach only the sign-in pages; everything here is what moves a session out of that state.
"""

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import CreateError
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url

from .. import keys
from ..conf import setting
from ..policy import NextStep, get_settings, next_step
from ..services.challenge import challenge_issue, signin_without_second_factor
from ..services.sessions import (
    CHECKED_KEY,
    GENERATION_KEY,
    session_generation,
    sessions_end_others,
)

VERIFIED_KEY = "portal2fa_verified"  # the user key of SESSION_KEY, once the factor passed
TOKEN_KEY = "portal2fa_signin_token"  # the clear security token of this sign-in
NEXT_KEY = "portal2fa_signin_next"  # where to go once the factor passed
FORWARD_KEY = "portal2fa_moved"  # in a rotated-away session: where the signed-in session went
FORWARD_SECONDS = 15 * 60


def is_held(request) -> bool:
    user_key = request.session.get(SESSION_KEY)
    return user_key is not None and request.session.get(VERIFIED_KEY) != user_key


def forget(request) -> None:
    """A new login: whatever an earlier one passed does not carry over."""
    request.session.pop(VERIFIED_KEY, None)
    request.session.pop(TOKEN_KEY, None)


def record_generation(request, user) -> None:
    """At login: the user's session generation now; a later security change ends this session."""
    request.session[GENERATION_KEY] = session_generation(user.pk)
    request.session[CHECKED_KEY] = time.time()


def has_ended(request) -> bool:
    """True when a security change (sessions_end_others) ended this signed-in session. Reads the
    user's generation at most every PORTAL2FA_SESSION_CHECK_SECONDS for a session."""
    user_key = request.session.get(SESSION_KEY)
    if user_key is None:
        return False
    now = time.time()
    checked = request.session.get(CHECKED_KEY)
    interval = setting("PORTAL2FA_SESSION_CHECK_SECONDS")
    if isinstance(checked, int | float) and 0 <= now - checked < interval:
        return False
    try:
        user_pk = get_user_model()._meta.pk.to_python(user_key)
    except ValidationError:
        return True
    if request.session.get(GENERATION_KEY, 0) < session_generation(user_pk):
        return True
    request.session[CHECKED_KEY] = now
    return False


def end_other_sessions(request, user) -> None:
    """A security change made in this session: end the user's other sessions, keep this one."""
    keep_generation(request, sessions_end_others(user=user))


def keep_generation(request, generation: int) -> None:
    """This session survives the security change that raised the user's generation to this."""
    request.session[GENERATION_KEY] = generation
    request.session[CHECKED_KEY] = time.time()


def mark_passed(request) -> None:
    """The factor passed (or does not apply): a new session id, then the session is let through.

    A second click sent before this response arrived (or a resubmit after it was lost) still
    carries the old session id. The old id is therefore left behind as a forward, bound to this
    browser's CSRF secret and valid for FORWARD_SECONDS: that browser alone is moved on to the new
    session (see follow_forward), instead of being shown a sign-in page while its codes are lost.
    """
    old_key = request.session.session_key
    request.session.cycle_key()
    request.session.pop(TOKEN_KEY, None)
    request.session[VERIFIED_KEY] = request.session[SESSION_KEY]
    leave_forward(request, old_key)


def _csrf_binding(request) -> str | None:
    secret = request.META.get("CSRF_COOKIE")
    return keys.token_digest("session-forward\x1f" + secret) if secret else None


def leave_forward(request, old_key: str | None) -> None:
    """After this session's id changed from old_key: let this browser's requests that still carry
    the old id (a second click, a resubmit after a lost answer) follow it (see mark_passed)."""
    binding = _csrf_binding(request)
    new_key = request.session.session_key
    if not (old_key and binding and new_key) or old_key == new_key:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore(old_key)
    store._session_cache = {}  # do not load the (deleted) old session: loading forgets the id
    store[FORWARD_KEY] = {
        "to": new_key,
        "csrf": binding,
        "until": time.time() + FORWARD_SECONDS,
    }
    store.set_expiry(FORWARD_SECONDS)
    try:
        store.save(must_create=True)
    except CreateError:  # the old id was taken meanwhile: no forward, the browser signs in again
        pass


def follow_forward(request) -> bool:
    """When this request carries a rotated-away session id of this browser, continue with the
    session it moved to (the response sets its cookie). True when the session was switched."""
    entry = request.session.get(FORWARD_KEY)
    if not isinstance(entry, dict) or SESSION_KEY in request.session:
        return False
    binding = _csrf_binding(request)
    if not binding or entry.get("csrf") != binding or time.time() >= entry.get("until", 0):
        return False
    successor = import_module(settings.SESSION_ENGINE).SessionStore(entry.get("to"))
    if successor.get(SESSION_KEY) is None:  # signed out since: nothing to continue
        return False
    successor.modified = True  # SessionMiddleware sets its cookie on the response
    request.session = successor
    return True


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
