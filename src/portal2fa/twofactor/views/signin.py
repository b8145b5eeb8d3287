"""Sign-in: the password step (for hosts without a login page), then the second factor.

After this page's password step the session is anonymous and holds only the security token; the
user is logged in once the second factor passes. After any other login (the host's) the session
is held by TwoFactorMiddleware and comes here for its second factor. See web/second_factor.py.
Thin: parse, call one service, render.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ..core.methods import PASSKEY
from ..forms import SignInAppCodeForm, SignInBackupCodeForm, SignInForm, TotpForm
from ..machinery.policy import NextStep, allowed_methods
from ..messages import SIGNED_IN_WITH_BACKUP_CODE, SIGNED_OUT
from ..passkeys.selectors import has_passkeys
from ..passkeys.step_up import grant_after_backup_code
from ..selectors.access_passes import pass_needed
from ..selectors.deadlines import signin_grace
from ..selectors.email_codes import codes_available
from ..selectors.enrollment import pairing_for
from ..services.challenge import (
    challenge_attempt,
    challenge_skip_enrollment,
    challenge_snooze_enrollment,
)
from ..services.enrollment import enrollment_begin
from ..services.password import SignInRefused, password_authenticate
from ..web import confirmation, device, second_factor, shown_codes, trusted
from ..web.http import client_address, see_other
from .signin_step import SignInStep, login_page, signin_step

STEP_URLS = {NextStep.VERIFY: "twofactor:signin-verify"}  # every other step: enrollment


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request):
    if request.user.is_authenticated and not second_factor.is_held(request):
        if shown_codes.pending(request, at=timezone.now()):  # back to a sign-in page: the codes
            return see_other(reverse("twofactor:account-codes"))
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            now = timezone.now()
            identifier = form.cleaned_data["email"]
            try:
                user = password_authenticate(
                    request,
                    identifier=identifier,
                    password=form.cleaned_data["password"],
                    at=now,
                    client_address=client_address(request),
                    device=device.trusted_device(request, identifier),
                )
            except SignInRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return _after_password(request, user, now)
        status = 400
    return render(request, "portal2fa/signin.html", {"form": form}, status=status)


def _after_password(request, user, now):
    if request.user.is_authenticated:  # a held session signing in anew (perhaps as another user)
        logout(request)
    request.session.cycle_key()  # a new session id for the pre-authentication state, too
    rotate_token(
        request
    )  # and a new CSRF secret, as login() would give (web/second_factor.complete)
    second_factor.forget(request)
    second_factor.remember_next(request, request.GET.get("next"))
    request.session[second_factor.BACKEND_KEY] = user.backend
    step = second_factor.begin(
        request, user, at=now, client_address=client_address(request), first_factor="password"
    )
    if step is NextStep.SIGNED_IN:
        return HttpResponseRedirect(second_factor.take_next(request))
    return redirect(STEP_URLS.get(step, "twofactor:signin-enroll"))


def _submit_code(request, step: SignInStep, form):
    """The code form of both sign-in pages: (passed attempt or None, HTTP status, locked)."""
    challenge = step.challenge
    if request.method != "POST":
        return None, 200, challenge.locked
    if challenge.locked:
        return None, 403, True
    if not form.is_valid():
        return None, 400, False
    attempt = challenge_attempt(
        token=step.token,
        code=form.cleaned_data["code"],
        at=timezone.now(),
        client_address=client_address(request),
        challenge=challenge,  # read by signin_step in this request
        policy=step.policy,
    )
    if attempt.ok:
        second_factor.complete(request, challenge.user)
        return attempt, 200, False
    form.add_error("code", attempt.message)
    return None, 400, attempt.locked


# The verify step's methods, the strongest first: the page leads with the first the user has,
# the others are choices under "Try another way" (?method=…, server-rendered: no script needed).
PASSKEY_METHOD, APP_METHOD, BACKUP_METHOD = "passkey", "app", "backup"
CODE_METHODS = (APP_METHOD, BACKUP_METHOD)


def _verify_methods(user, policy, *, has_app: bool) -> list[str]:
    """The methods of the verify page this user may use now, the strongest first."""
    methods = []
    if policy.passkeys_allowed and PASSKEY in allowed_methods(user, policy) and has_passkeys(user):
        methods.append(PASSKEY_METHOD)
    if has_app:
        methods.append(APP_METHOD)
    return [*methods, BACKUP_METHOD]


def _shown_method(request, methods: list[str]) -> str:
    """The method the page shows: the one asked for (a "Try another way" link, the code form's
    own action), else the strongest. A code POSTed without one (an older page, a script) is
    answered on a code form, never on the passkey's."""
    asked = request.GET.get("method")
    offered = [m for m in methods if m in CODE_METHODS] if request.method == "POST" else methods
    return asked if asked in offered else offered[0]


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@signin_step(NextStep.VERIFY)
def verify(request, step: SignInStep):
    challenge, policy = step.challenge, step.policy
    has_app = challenge.user.authenticator.has_app  # else enrolled with passkeys alone
    methods = _verify_methods(challenge.user, policy, has_app=has_app)
    method = _shown_method(request, methods)
    form = (SignInAppCodeForm if method == APP_METHOD else SignInBackupCodeForm)(
        request.POST if request.method == "POST" else None
    )
    attempt, status, locked = _submit_code(request, step, form)
    if attempt:
        if attempt.used_backup_code:
            messages.warning(request, SIGNED_IN_WITH_BACKUP_CODE)
            now = timezone.now()
            nonce = grant_after_backup_code(challenge.user, at=now)
            if nonce:  # nothing else to confirm with: this sign-in confirms one change
                confirmation.grant(request, nonce, at=now)
        response = HttpResponseRedirect(second_factor.take_next(request))
        factor = "backup" if attempt.used_backup_code else "totp"
        trusted.grant_if_asked(request, response, challenge.user, policy=policy, factor=factor)
        return response
    context = {
        "form": form,
        "locked": locked,
        **trusted.offer(request, challenge.user, policy),  # "Unrecognized devices only"
        "method": method,
        "other_methods": [other for other in methods if other != method],
        "email_code": False,
        "sms_code": False,
        "has_app": has_app,
        "passkeys": PASSKEY_METHOD in methods,
        "passkeys_forbidden": not has_app and PASSKEY_METHOD not in methods,
    }
    # "Try another way" (no extra query when the switches are off)
    if policy.email_codes_allowed:
        context["email_code"] = codes_available(challenge.user, policy)
    if policy.sms_codes_allowed:
        context["sms_code"] = codes_available(challenge.user, policy, "sms")
    return render(request, "portal2fa/signin_verify.html", context, status=status)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@signin_step(NextStep.ENROLL)
def enroll(request, step: SignInStep):
    challenge, policy = step.challenge, step.policy
    if pass_needed(challenge, policy):  # after a reset, no enrollment without a pass
        return redirect("twofactor:signin-pass")
    authenticator = enrollment_begin(
        user=challenge.user, at=timezone.now(), client_address=client_address(request)
    )
    form = TotpForm(request.POST if request.method == "POST" else None)
    attempt, status, locked = _submit_code(request, step, form)
    if attempt:  # the session has passed: the codes page is reachable, then the next page
        return shown_codes.show(
            request,
            attempt.backup_codes,
            kind=shown_codes.ENROLLED,
            continue_url=second_factor.take_next(request),
            at=timezone.now(),
        )
    return render(
        request,
        "portal2fa/signin_enroll.html",
        {
            "form": form,
            "locked": locked,
            "pairing": pairing_for(authenticator, policy),
            "can_skip": step.step is NextStep.ENROLL_OPTIONAL,
            # before the user's due date: "Remind me later" and the days left
            "grace": signin_grace(step.user, at=timezone.now())
            if step.step is NextStep.ENROLL_LATER
            else None,
            # a key instead of the app, where the roles allow it (no query when switched off)
            "passkey_enroll": policy.passkeys_allowed
            and PASSKEY in allowed_methods(challenge.user, policy),
        },
        status=status,
    )


@never_cache
@require_POST
@signin_step()
def skip_enrollment(request, step: SignInStep):
    """ "Skip for now" where enrollment is Optional."""
    return _through_without_factor(request, step, challenge_skip_enrollment)


@never_cache
@require_POST
@signin_step()
def remind_later(request, step: SignInStep):
    """ "Remind me later" before the due date: signed in without a second factor this time."""
    return _through_without_factor(request, step, challenge_snooze_enrollment)


def _through_without_factor(request, step: SignInStep, service):
    """Run a service that lets this sign-in through without a second factor (skip, snooze):
    signed in on success, back at enrollment with the refusal otherwise."""
    attempt = service(token=step.token, at=timezone.now(), client_address=client_address(request))
    if not attempt.ok:
        messages.error(request, attempt.message)
        return redirect("twofactor:signin-enroll")
    second_factor.complete(request, step.user)
    return HttpResponseRedirect(second_factor.take_next(request))


@require_POST
def signout(request):
    logout(request)
    messages.info(request, SIGNED_OUT)
    return login_page(request)
