"""Sign-in: the password step (for hosts without a login page), then the second factor.

Any login, this page's or the host's own, leaves a *held* session (see web/session.py): the user
is logged in as far as Django knows, but TwoFactorMiddleware lets the session reach only these
pages until the second factor passes; then the session key is rotated and the session let through.
Thin: parse, call one service, render.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import CodeForm, SignInForm, TotpForm
from ..policy import NextStep, get_settings, next_step
from ..selectors.enrollment import pairing_for
from ..services.challenge import (
    EXPIRED,
    challenge_attempt,
    challenge_load,
    challenge_skip_enrollment,
)
from ..services.enrollment import enrollment_begin
from ..services.password import SignInRefused, password_authenticate
from ..web import session as second_factor
from ..web.http import client_address

STEP_URLS = {NextStep.VERIFY: "twofactor:signin-verify"}  # every other step: enrollment


def _safe_next(request, candidate: str | None) -> str | None:
    """A local path to go to after sign-in. Only "/..." paths: redirect() would take any other
    string for a URL pattern name (and fail), and other hosts are an open redirect."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return None


def _login_page(request):
    return redirect(resolve_url(settings.LOGIN_URL))


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request):
    if request.user.is_authenticated and not second_factor.is_held(request):
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            now = timezone.now()
            try:
                user = password_authenticate(
                    request,
                    identifier=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    at=now,
                    client_address=client_address(request),
                )
            except SignInRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return _after_password(request, user, now)
        status = 400
    return render(request, "portal2fa/signin.html", {"form": form}, status=status)


def _after_password(request, user, now):
    target = _safe_next(request, request.GET.get("next"))
    login(request, user)  # a new session key; the session is held until the factor passes
    if target:
        second_factor.remember_next(request, target)
    step = second_factor.begin(
        request, user, at=now, client_address=client_address(request), first_factor="password"
    )
    if step is NextStep.SIGNED_IN:
        return HttpResponseRedirect(second_factor.take_next(request))
    return redirect(STEP_URLS.get(step, "twofactor:signin-enroll"))


def _challenge_or_leave(request):
    """(the live challenge of this held session, None) or (None, where to go instead)."""
    if not request.user.is_authenticated:
        messages.error(request, "Sign in with your email and password first.")
        return None, _login_page(request)
    if not second_factor.is_held(request):  # already through: e.g. a second click on Verify
        return None, HttpResponseRedirect(second_factor.take_next(request))
    if second_factor.TOKEN_KEY not in request.session:  # a login this library did not see
        step = second_factor.begin(
            request,
            request.user,
            at=timezone.now(),
            client_address=client_address(request),
            first_factor="login",
        )
        if step is NextStep.SIGNED_IN:
            return None, HttpResponseRedirect(second_factor.take_next(request))
    challenge = challenge_load(request.session[second_factor.TOKEN_KEY], at=timezone.now())
    if challenge is None or challenge.user_id != request.user.pk:
        logout(request)  # this sign-in is over: a new one starts with the password
        messages.error(request, EXPIRED)
        return None, _login_page(request)
    return challenge, None


def _step_or_redirect(request, challenge, *, here: NextStep, policy=None):
    """(the user's step now, or a redirect when it is another page's).

    The state can change during a sign-in (an administrator resets the enrollment, a policy
    change): the pages follow it instead of trusting what the password step decided.
    """
    # challenge_load read the user's authenticator with the challenge, in this request
    authenticator = getattr(challenge.user, "authenticator", None)
    step = next_step(challenge.user, policy or get_settings(), authenticator=authenticator)
    if step is NextStep.SIGNED_IN:  # 2FA no longer applies: this token is of no use
        logout(request)
        messages.info(request, "Your sign-in settings changed. Please sign in again.")
        return step, _login_page(request)
    if step is NextStep.VERIFY and here is not NextStep.VERIFY:
        return step, redirect("twofactor:signin-verify")
    if step is not NextStep.VERIFY and here is NextStep.VERIFY:
        return step, redirect("twofactor:signin-enroll")
    return step, None


def _submit_code(request, challenge, form, policy=None):
    """The code form of both sign-in pages: (passed attempt or None, HTTP status, locked)."""
    if request.method != "POST":
        return None, 200, challenge.locked
    if challenge.locked:
        return None, 403, True
    if not form.is_valid():
        return None, 400, False
    attempt = challenge_attempt(
        token=request.session.get(second_factor.TOKEN_KEY),
        code=form.cleaned_data["code"],
        at=timezone.now(),
        client_address=client_address(request),
        challenge=challenge,  # read by _challenge_or_leave in this request
        policy=policy,
    )
    if attempt.ok:
        second_factor.mark_passed(request)
        return attempt, 200, False
    form.add_error("code", attempt.message)
    return None, 400, attempt.locked


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    challenge, elsewhere = _challenge_or_leave(request)
    if elsewhere:
        return elsewhere
    policy = get_settings()  # read once for the request
    step, elsewhere = _step_or_redirect(request, challenge, here=NextStep.VERIFY, policy=policy)
    if elsewhere:
        return elsewhere
    form = CodeForm(request.POST if request.method == "POST" else None)
    attempt, status, locked = _submit_code(request, challenge, form, policy)
    if attempt:
        if attempt.used_backup_code:
            messages.warning(request, "You signed in with a backup code. It cannot be used again.")
        return HttpResponseRedirect(second_factor.take_next(request))
    return render(
        request, "portal2fa/signin_verify.html", {"form": form, "locked": locked}, status=status
    )


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def enroll(request):
    challenge, elsewhere = _challenge_or_leave(request)
    if elsewhere:
        return elsewhere
    step, elsewhere = _step_or_redirect(request, challenge, here=NextStep.ENROLL)
    if elsewhere:
        return elsewhere
    policy = get_settings()
    authenticator = enrollment_begin(
        user=challenge.user, at=timezone.now(), client_address=client_address(request)
    )
    form = TotpForm(request.POST if request.method == "POST" else None)
    attempt, status, locked = _submit_code(request, challenge, form)
    if attempt:
        context = {
            "codes": attempt.backup_codes,
            "just_enrolled": True,
            "continue_url": second_factor.take_next(request),
        }
        return render(request, "portal2fa/backup_codes.html", context)
    return render(
        request,
        "portal2fa/signin_enroll.html",
        {
            "form": form,
            "locked": locked,
            "pairing": pairing_for(authenticator, policy),
            "can_skip": step is NextStep.ENROLL_OPTIONAL,
        },
        status=status,
    )


@never_cache
@require_POST
def skip_enrollment(request):
    challenge, elsewhere = _challenge_or_leave(request)
    if elsewhere:
        return elsewhere
    attempt = challenge_skip_enrollment(
        token=request.session.get(second_factor.TOKEN_KEY),
        at=timezone.now(),
        client_address=client_address(request),
    )
    if not attempt.ok:
        messages.error(request, attempt.message)
        return redirect("twofactor:signin-enroll")
    second_factor.mark_passed(request)
    return HttpResponseRedirect(second_factor.take_next(request))


@require_POST
def signout(request):
    logout(request)
    messages.info(request, "You have signed out.")
    return _login_page(request)
