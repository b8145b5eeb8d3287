"""The second factor's state in a browser session.

Two ways into the second factor:
- Portal 2FA's own /signin/ page: the password passes, the session stays anonymous and holds only
  the security token; Django's login() happens once the second factor passes, so
  a session never counts as signed in on the password alone.
- Any other login (the host's LoginView, the admin's, an SSO backend): Django has logged the user
  in, but the session is *held* until the second factor passes for that user in this session.
  TwoFactorMiddleware lets a held session reach only the sign-in pages.
Everything here moves a session between those states.
"""

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, login
from django.contrib.sessions.backends.base import CreateError
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import setting
from ..machinery import keys
from ..machinery.policy import (
    NextStep,
    authenticator_and_generation,
    current_policy,
    next_step,
)
from ..machinery.session_generation import (
    CHECKED_KEY,
    GENERATION_KEY,
    generation_at_login,
    session_generation,
)
from ..services.challenge import challenge_issue, signin_without_second_factor
from . import device, trusted
from .http import client_address

VERIFIED_KEY = "portal2fa_verified"  # the user key of SESSION_KEY, once the factor passed
TOKEN_KEY = "portal2fa_signin_token"  # the clear security token of this sign-in
NEXT_KEY = "portal2fa_signin_next"  # where to go once the factor passed
BACKEND_KEY = "portal2fa_signin_backend"  # the backend that checked the password (own page)
# The user's session generation at this sign-in's password step (own page): the session that the
# second factor logs in keeps it, so a security change made meanwhile ends that session too.
SIGNIN_GENERATION_KEY = "portal2fa_signin_generation"
FORWARD_KEY = "portal2fa_moved"  # in a rotated-away session: where the signed-in session went
FORWARD_SECONDS = 15 * 60


def is_held(request) -> bool:
    """Logged in by Django, second factor not (yet) passed in this session."""
    user_key = request.session.get(SESSION_KEY)
    return user_key is not None and request.session.get(VERIFIED_KEY) != user_key


def forget(request) -> None:
    """A new login: whatever an earlier one passed, or was going to, does not carry over."""
    for key in (VERIFIED_KEY, TOKEN_KEY, NEXT_KEY, BACKEND_KEY, SIGNIN_GENERATION_KEY):
        request.session.pop(key, None)


def record_generation(request, user) -> None:
    """At login: the user's session generation now; a later security change ends this session."""
    request.session[GENERATION_KEY] = generation_at_login(user)
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
    if interval > 0:  # checked on every request (0): noting when would save the session each time
        request.session[CHECKED_KEY] = now
    return False


def keep_generation(request, generation: int) -> None:
    """This session survives the security change that raised the user's generation to this."""
    request.session[GENERATION_KEY] = generation
    request.session[CHECKED_KEY] = time.time()


def keep_signin_generation(request, generation: int) -> None:
    """This sign-in survives the security change its own second-factor step made (a Temporary
    Access Pass resets the enrollment): a held session's login, or the own sign-in page's
    password step (SIGNIN_GENERATION_KEY), counts from the raised generation."""
    if SESSION_KEY in request.session:
        keep_generation(request, generation)
    if SIGNIN_GENERATION_KEY in request.session:
        request.session[SIGNIN_GENERATION_KEY] = generation


def _csrf_binding(request) -> str | None:
    secret = request.META.get("CSRF_COOKIE")
    return keys.token_digest("session-forward\x1f" + secret) if secret else None


def leave_forward(request, old_key: str | None, *, binding: str | None = None) -> None:
    """After this session's id changed from old_key: let this browser's requests that still carry
    the old id (a second click, a resubmit after a lost answer) follow it (see complete)."""
    binding = binding or _csrf_binding(request)
    new_key = request.session.session_key
    if not (old_key and binding and new_key) or old_key == new_key:
        return
    forward = {"to": new_key, "csrf": binding, "until": time.time() + FORWARD_SECONDS}
    if hasattr(request.session, "leave_forward"):  # our engine moves the old row at save()
        request.session.leave_forward(old_key, {FORWARD_KEY: forward}, FORWARD_SECONDS)
        return
    write_forward(import_module(settings.SESSION_ENGINE).SessionStore, old_key, forward)


def write_forward(store_class, old_key: str, forward: dict) -> None:
    """A session row under the rotated-away id that holds only the forward."""
    store = store_class(old_key)
    store._session_cache = {}  # do not load the (deleted) old session: loading forgets the id
    store[FORWARD_KEY] = forward
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
    """After a first factor: let the session through when 2FA does not apply to the user, else
    issue a new security token (a fresh attempt counter, so a new sign-in clears a locked token) and tell which step comes next.
    An enrolled user on a browser they trusted (enforcement "Unrecognized devices only") skips
    the second factor: web/trusted.py, services/trusted_browsers.py."""
    policy = current_policy()
    authenticator, generation = (
        authenticator_and_generation(user) if policy.enabled else (None, None)
    )
    step = next_step(user, policy, authenticator=authenticator)
    if step is NextStep.VERIFY and trusted.skip_second_factor(
        request,
        user,
        at=at,
        client_address=client_address,
        first_factor=first_factor,
        policy=policy,
    ):
        complete(request, user)
        return NextStep.SIGNED_IN
    if step is NextStep.SIGNED_IN:
        signin_without_second_factor(
            user=user, at=at, client_address=client_address, first_factor=first_factor
        )
        complete(request, user)
    else:
        if SESSION_KEY not in request.session:  # a held session recorded it at its login
            if generation is None:  # no authenticator: not read with it above
                generation = session_generation(user.pk)
            request.session[SIGNIN_GENERATION_KEY] = generation
        request.session[TOKEN_KEY] = challenge_issue(
            user=user, at=at, client_address=client_address, policy=policy
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
    sign-in page) or the held session let through (any other login). Keeps where to go next.

    A second click sent before this response arrived (or a resubmit after it was lost) still
    carries the old session id. The old id is therefore left behind as a forward, bound to this
    browser's CSRF secret and valid for FORWARD_SECONDS: that browser alone is moved on to the new
    session (see follow_forward), instead of being shown a sign-in page while its codes are lost.
    """
    target = request.session.get(NEXT_KEY)
    at_password = request.session.get(SIGNIN_GENERATION_KEY)
    old_key = request.session.session_key
    binding = _csrf_binding(request)  # before login(), which rotates the CSRF secret
    if request.user.is_authenticated and request.user.pk == user.pk:
        request.session.cycle_key()
    else:
        backend = request.session.get(BACKEND_KEY) or settings.AUTHENTICATION_BACKENDS[0]
        csrf_secret = request.META.get("CSRF_COOKIE")
        login(request, user, backend=backend)  # a new key; the user_logged_in receiver forgets
        if csrf_secret:
            # login() rotated the CSRF secret too; the password step already did (so a planted
            # cookie is long gone): keep that one, so a second click of the form that passed the
            # factor, rendered with it, is not refused as a forgery.
            request.META.update({"CSRF_COOKIE": csrf_secret, "CSRF_COOKIE_NEEDS_UPDATE": True})
    request.session.pop(TOKEN_KEY, None)
    request.session.pop(BACKEND_KEY, None)
    request.session.pop(SIGNIN_GENERATION_KEY, None)
    if isinstance(at_password, int):  # the older of the two: a change since then ends it
        request.session[GENERATION_KEY] = min(request.session.get(GENERATION_KEY, 0), at_password)
    if target:
        request.session[NEXT_KEY] = target
    request.session[VERIFIED_KEY] = request.session[SESSION_KEY]
    device.remember(request, user)  # this browser is now known for the account
    leave_forward(request, old_key, binding=binding)


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
