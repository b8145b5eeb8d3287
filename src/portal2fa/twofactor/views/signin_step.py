"""The second-factor pages' common start: this sign-in's live challenge at the right step, or leave.

Every page and JSON endpoint of the second-factor step (code, email or SMS code, passkey, key
enrollment, Temporary Access Pass) is wrapped by `signin_step`: it runs with a SignInStep, or the
request goes where the sign-in now is (the password page, the other step, the page a parallel
request already reached).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone

from ..machinery import keys
from ..machinery.policy import NextStep, current_policy, next_step
from ..messages import EXPIRED, PASSWORD_FIRST, SIGNIN_SETTINGS_CHANGED
from ..models import SignInChallenge, TwoFactorSettings
from ..services.challenge import challenge_load
from ..web import second_factor, shown_codes
from ..web.http import see_other

ANY_STEP = "any"  # signin_step(ANY_STEP): the verify or an enrollment step, whichever it is


@dataclass(frozen=True)
class SignInStep:
    """What a second-factor view runs with, read once in this request."""

    challenge: SignInChallenge
    token: str
    step: NextStep | None  # None: a view open at any step (Skip for now)
    policy: TwoFactorSettings  # read for a view at a step; None for signin_step() without one

    @property
    def user(self):
        return self.challenge.user


def login_page(request):
    return redirect(resolve_url(settings.LOGIN_URL))


def as_json(elsewhere) -> JsonResponse:
    """For the JSON endpoints: a 409 naming the page to go to instead."""
    return JsonResponse({"redirect": elsewhere["Location"]}, status=409)


def signin_step(here: NextStep | str | None = None, *, leave: Callable | None = None):
    """Decorator: run the view as view(request, step) with this sign-in's live challenge when the
    user's step is `here` (VERIFY; ENROLL: either enrollment step; ANY_STEP: either; None: not
    read at all); otherwise answer with where to go instead, passed through `leave` (as_json for
    the JSON endpoints)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            found, elsewhere = _challenge_or_leave(request)
            policy = step = None
            if elsewhere is None and here is not None:
                policy = current_policy()  # read once for the request
                step, elsewhere = _step_or_redirect(request, found, here=here, policy=policy)
            if elsewhere is not None:
                return leave(elsewhere) if leave else elsewhere
            token = request.session[second_factor.TOKEN_KEY]
            # A view without a step (here=None) reads no policy: typed for those that do.
            found_step = SignInStep(found, token, step, policy)  # type: ignore[arg-type]
            return view(request, found_step, *args, **kwargs)

        return wrapped

    return decorator


def _challenge_or_leave(request):
    """(the live challenge of this sign-in, None) or (None, where to go instead)."""
    if request.user.is_authenticated:
        if not second_factor.is_held(request):  # already through: e.g. a second click on Verify
            if shown_codes.pending(request, at=timezone.now()):  # or on Confirm: the same codes
                return None, see_other(reverse("twofactor:account-codes"))
            return None, HttpResponseRedirect(second_factor.take_next(request))
        if second_factor.begin_unseen_login(request) is NextStep.SIGNED_IN:
            return None, HttpResponseRedirect(second_factor.take_next(request))
    elif second_factor.TOKEN_KEY not in request.session:
        messages.error(request, PASSWORD_FIRST)
        return None, login_page(request)
    token = request.session[second_factor.TOKEN_KEY]
    challenge = challenge_load(token, at=timezone.now())
    if challenge is None and _passed_meanwhile(token):
        # A parallel request of this session (a double click) passed this token and moved the
        # session to a new id: ask again, the browser's next request follows it (web/second_factor.py).
        return None, see_other(request.path)
    held_by = request.user.pk if request.user.is_authenticated else None
    if challenge is None or held_by not in (None, challenge.user_id):
        logout(request)  # this sign-in is over: a new one starts with the password
        messages.error(request, EXPIRED)
        return None, login_page(request)
    return challenge, None


def _passed_meanwhile(token) -> bool:
    return SignInChallenge.objects.filter(
        token_digest=keys.token_digest(token), completed_at__isnull=False
    ).exists()


def _step_or_redirect(request, challenge, *, here: NextStep | str, policy):
    """(the user's step now, or a redirect when it is another page's).

    The state can change during a sign-in (an administrator resets the enrollment, a policy
    change): the pages follow it instead of trusting what the password step decided.
    """
    # challenge_load read the user's authenticator with the challenge, in this request
    authenticator = getattr(challenge.user, "authenticator", None)
    step = next_step(challenge.user, policy, authenticator=authenticator)
    if step is NextStep.SIGNED_IN:  # 2FA no longer applies: this token is of no use
        logout(request)  # (a held session; an anonymous one is flushed just the same)
        messages.info(request, SIGNIN_SETTINGS_CHANGED)
        return step, login_page(request)
    if here == ANY_STEP:
        return step, None
    if step is NextStep.VERIFY and here is not NextStep.VERIFY:
        return step, redirect("twofactor:signin-verify")
    if step is not NextStep.VERIFY and here is NextStep.VERIFY:
        return step, redirect("twofactor:signin-enroll")
    return step, None
