"""Sign-in: password, then the second factor. Thin: parse, call one service, render.

The session holds only the clear security token between the steps; the user is logged in (and the
session key rotated by django.contrib.auth.login) only after the second factor passes.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ...accounts.http import client_address
from ...accounts.services import (
    SignInRefused,
    password_authenticate,
    signin_without_second_factor,
)
from ..forms import CodeForm, SignInForm, TotpForm
from ..policy import NextStep, get_settings, next_step
from ..selectors.enrollment import pairing_for
from ..services.challenge import (
    EXPIRED,
    challenge_attempt,
    challenge_issue,
    challenge_load,
    challenge_skip_enrollment,
)
from ..services.enrollment import enrollment_begin

TOKEN_KEY = "portal2fa_signin_token"
NEXT_KEY = "portal2fa_signin_next"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request, candidate: str | None) -> str:
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
    return "/"


def _finish(request, user_id: int):
    """Log the user in: rotates the session key and drops the pre-authentication state."""
    target = request.session.pop(NEXT_KEY, "/")
    user = get_user_model().objects.get(pk=user_id)
    request.session.pop(TOKEN_KEY, None)
    login(request, user, backend=BACKEND)
    return target


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            now = timezone.now()
            try:
                user = password_authenticate(
                    request,
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    at=now,
                    client_address=client_address(request),
                )
            except SignInRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return _after_password(request, user, now)
        status = 400
    return render(request, "twofactor/signin.html", {"form": form}, status=status)


def _after_password(request, user, now):
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    step = next_step(user, get_settings())
    if step is NextStep.SIGNED_IN:
        signin_without_second_factor(user=user, at=now, client_address=client_address(request))
        return HttpResponseRedirect(_finish(request, user.pk))
    request.session.cycle_key()  # a new session id for the pre-authentication state, too
    request.session[TOKEN_KEY] = challenge_issue(
        user=user, at=now, client_address=client_address(request)
    )
    return redirect(
        "twofactor:signin-verify" if step is NextStep.VERIFY else "twofactor:signin-enroll"
    )


def _live_challenge_or_restart(request):
    token = request.session.get(TOKEN_KEY)
    challenge = challenge_load(token, at=timezone.now())
    if challenge is None:
        request.session.pop(TOKEN_KEY, None)
        messages.error(request, EXPIRED if token else "Sign in with your email and password first.")
    return challenge


def _step_or_redirect(request, challenge, *, here: NextStep):
    """(the user's step now, or a redirect when it is another page's).

    The state can change during a sign-in (an administrator resets the enrollment, a policy
    change): the pages follow it instead of trusting what the password step decided.
    """
    step = next_step(challenge.user, get_settings())
    if step is NextStep.SIGNED_IN:  # 2FA no longer applies: this token is of no use
        request.session.pop(TOKEN_KEY, None)
        messages.info(request, "Your sign-in settings changed. Please sign in again.")
        return step, redirect("twofactor:signin")
    if step is NextStep.VERIFY and here is not NextStep.VERIFY:
        return step, redirect("twofactor:signin-verify")
    if step is not NextStep.VERIFY and here is NextStep.VERIFY:
        return step, redirect("twofactor:signin-enroll")
    return step, None


def _submit_code(request, challenge, form):
    """The code form of both sign-in pages: (passed attempt or None, HTTP status, locked)."""
    if request.method != "POST":
        return None, 200, challenge.locked
    if challenge.locked:
        return None, 403, True
    if not form.is_valid():
        return None, 400, False
    attempt = challenge_attempt(
        token=request.session.get(TOKEN_KEY),
        code=form.cleaned_data["code"],
        at=timezone.now(),
        client_address=client_address(request),
    )
    if attempt.ok:
        return attempt, 200, False
    form.add_error("code", attempt.message)
    return None, 400, attempt.locked


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    challenge = _live_challenge_or_restart(request)
    if challenge is None:
        return redirect("twofactor:signin")
    step, elsewhere = _step_or_redirect(request, challenge, here=NextStep.VERIFY)
    if elsewhere:
        return elsewhere
    form = CodeForm(request.POST if request.method == "POST" else None)
    attempt, status, locked = _submit_code(request, challenge, form)
    if attempt:
        target = _finish(request, attempt.user_id)
        if attempt.used_backup_code:
            messages.warning(request, "You signed in with a backup code. It cannot be used again.")
        return HttpResponseRedirect(target)
    return render(
        request, "twofactor/signin_verify.html", {"form": form, "locked": locked}, status=status
    )


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def enroll(request):
    challenge = _live_challenge_or_restart(request)
    if challenge is None:
        return redirect("twofactor:signin")
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
        target = _finish(request, attempt.user_id)
        context = {"codes": attempt.backup_codes, "just_enrolled": True, "continue_url": target}
        return render(request, "twofactor/backup_codes.html", context)
    return render(
        request,
        "twofactor/signin_enroll.html",
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
    if _live_challenge_or_restart(request) is None:
        return redirect("twofactor:signin")
    attempt = challenge_skip_enrollment(
        token=request.session.get(TOKEN_KEY),
        at=timezone.now(),
        client_address=client_address(request),
    )
    if not attempt.ok:
        messages.error(request, attempt.message)
        return redirect("twofactor:signin")
    return HttpResponseRedirect(_finish(request, attempt.user_id))


@require_POST
def signout(request):
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("twofactor:signin")
