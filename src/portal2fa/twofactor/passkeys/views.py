"""Passkeys and security keys (WebAuthn): the personal page's keys and the sign-in's assertion.

JSON endpoints for static/portal2fa/passkeys.js (no inline script): POST only, CSRF-checked (the
token from the page's form, sent as X-CSRFToken). The WebAuthn challenge lives in the session.
Thin: parse, call one service (passkeys/services.py), answer.
"""

import functools
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from ..forms import CodeForm
from ..machinery.policy import NextStep, authenticator_of
from ..machinery.step_up_grants import still_confirmed
from ..messages import (
    BACKUP_CODE_LABEL,
    CONFIRMING_TOO_LONG,
    KEY_ADDING_TOO_LONG,
    KEY_ANSWER_TOO_LARGE,
    KEY_ANSWER_UNREADABLE,
    LOCKED,
    passkey_added,
    passkey_confirmed,
    passkey_removed,
    passkey_renamed,
)
from ..models import Authenticator
from ..selectors.access_passes import pass_needed
from ..views.signin_step import SignInStep, as_json, signin_step
from ..web import confirmation, second_factor, shown_codes, trusted
from ..web.http import client_address
from . import ceremony, selectors, services, verification
from .enrollment import SET_UP_ALREADY, AlreadySetUp, passkey_enroll, passkey_enroll_signed_in
from .step_up import step_up_refusal, step_up_with_passkey

CONFIRMED = lazy(lambda: passkey_confirmed(confirmation.STEP_UP_LIFETIME.seconds // 60), str)()


def _options(json_text: str) -> JsonResponse:
    return JsonResponse({"options": json_text})


def _error(message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": str(message), **extra}, status=status)  # a Text: translated


def json_answer(view):
    """For the endpoints that read a key's answer (a JSON body): one over MAX_RESPONSE gets a JSON
    413 before anything is read or used up (Django would answer a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE with its HTML 400 page, which passkeys.js cannot show)."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = ceremony.MAX_RESPONSE + 1
        if length > ceremony.MAX_RESPONSE:
            return _error(KEY_ANSWER_TOO_LARGE, 413)
        return view(request, *args, **kwargs)

    return checked


# A registration ceremony (a key added, or enrolled with): the options and the challenge kept in the
# session for CEREMONY_SECONDS (passkeys/ceremony.py), then the browser's answer against it, once. Three pages use it.


def _key_name(request, user) -> tuple[str | None, JsonResponse | None]:
    """(the key's name, None) when the user may have passkeys and named the key well, else
    (None, the refusal)."""
    if not selectors.passkeys_usable(user):
        return None, _error(selectors.NOT_ALLOWED)
    try:
        return services.clean_name(request.POST.get("name")), None
    except verification.PasskeyError as error:
        return None, _error(str(error), field="name")


def _start_registration(request, user, session_key: str, name: str, **bound) -> JsonResponse:
    """The creation options; the challenge, the name and `bound` (e.g. the sign-in's token) kept."""
    options, challenge = verification.registration_options(
        user=user, rp=ceremony.relying_party(request)
    )
    request.session[session_key] = {
        "challenge": ceremony.bytes_to_base64url(challenge),
        "name": name,
        "until": time.time() + ceremony.CEREMONY_SECONDS,
        **bound,
    }
    return _options(options)


def _registration_answer(request, session_key: str, **bound):
    """(the kept ceremony, the browser's answer, None), or (None, None, the refusal): the ceremony
    is used up by this request, must be in time and still bound to the same values."""
    pending = request.session.pop(session_key, None) or {}
    late = pending.get("until", 0) < time.time()
    if late or any(pending.get(name) != value for name, value in bound.items()):
        return None, None, _error(KEY_ADDING_TOO_LONG)
    body = ceremony.read_body(request)
    if body is None:
        return None, None, _error(KEY_ANSWER_UNREADABLE)
    return pending, body, None


def _answer(request, pending: dict, body: str, *, at) -> dict:
    """What the registration services take from a ceremony: the key's name, the browser's answer
    and what it must match."""
    return {
        "name": pending["name"],
        "response": body,
        "expected_challenge": ceremony.base64url_to_bytes(pending["challenge"]),
        "rp": ceremony.relying_party(request),
        "at": at,
        "client_address": client_address(request),
    }


def _show_new_codes(request, codes, *, continue_url: str, at) -> JsonResponse:
    """Enrolled with a key: the new backup codes, shown once (web/shown_codes.py)."""
    shown_codes.keep(request, codes, kind=shown_codes.ENROLLED, continue_url=continue_url, at=at)
    return JsonResponse({"redirect": reverse("twofactor:account-codes")})


# --- the personal page ------------------------------------------------------------------------------


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_POST
def register_options(request):
    """A name and a current code (TOTP or backup), or this session's passkey confirmation: the
    creation options, challenge kept."""
    now = timezone.now()
    name, refused = _key_name(request, request.user)
    if refused or name is None:
        return refused
    nonce = confirmation.nonce(request, at=now)
    if nonce is not None:  # confirmed with a passkey: no code; spent when the key is stored
        refusal = still_confirmed(request.user, at=now, nonce=nonce, consume=False)
        if refusal:
            confirmation.take(request, at=now)
            return _error(refusal)
    else:
        form = CodeForm(request.POST)
        if not form.is_valid():
            return _error(" ".join(map(str, form.errors["code"])), field="code")
        step_up = services.passkey_step_up(
            user=request.user,
            code=form.cleaned_data["code"],
            at=now,
            client_address=client_address(request),
        )
        if not step_up.ok:
            return _error(step_up.message, field="code")
    return _start_registration(
        request, request.user, ceremony.REGISTER_KEY, name, confirmation=nonce
    )


@login_required
@never_cache
@require_safe
def add_dialog(request):
    """The confirmation dialog for a new key: its name and the current factor (unless this session
    confirmed recently), then the browser's prompt (register_options checks the factor)."""
    now = timezone.now()
    enrollment = authenticator_of(request.user)
    if (
        enrollment is None
        or enrollment.confirmed_at is None
        or not selectors.passkeys_usable(request.user)
    ):
        return redirect("twofactor:account")  # not enrolled, or keys not allowed: nothing to add
    context = {
        "has_app": enrollment.has_app,
        "confirmed_until": confirmation.confirmed_until(request, at=now),
    }
    return render(request, "portal2fa/passkey_add_dialog.html", context)


@login_required
@never_cache
@require_POST
@json_answer
def register(request):
    """The browser's new credential (JSON): verified against the kept challenge, single use."""
    pending, body, refused = _registration_answer(request, ceremony.REGISTER_KEY)
    if refused:
        return refused
    now = timezone.now()
    try:
        credential = services.passkey_register(
            user=request.user,
            confirmation=pending.get("confirmation"),
            **_answer(request, pending, body, at=now),
        )
    except verification.PasskeyError as error:
        return _error(str(error))
    if pending.get("confirmation"):
        confirmation.take(request, at=now)  # spent with the key
    messages.success(request, passkey_added(credential.name))
    return JsonResponse({"redirect": reverse("twofactor:account")})


@login_required
@never_cache
@require_POST
def confirm_options(request):
    """ "Confirm with a passkey" on the personal page: the request options, the challenge kept."""
    refusal = step_up_refusal(request.user, at=timezone.now())
    if refusal:
        return _error(refusal.message, 403 if refusal.locked else 400, locked=refusal.locked)
    options, challenge = verification.authentication_options(
        user=request.user, rp=ceremony.relying_party(request)
    )
    request.session[ceremony.CONFIRM_KEY] = {
        "challenge": ceremony.bytes_to_base64url(challenge),
        "until": time.time() + ceremony.CEREMONY_SECONDS,
    }
    return _options(options)


@login_required
@never_cache
@require_POST
@json_answer
def confirm(request):
    """The assertion (JSON body) against the kept challenge, single use: on success this session
    may make one sensitive change without a code (web/confirmation.py)."""
    pending = request.session.pop(ceremony.CONFIRM_KEY, None) or {}
    if not pending.get("challenge") or pending.get("until", 0) < time.time():
        return _error(CONFIRMING_TOO_LONG)  # no assertion checked: no guess
    now = timezone.now()
    result = step_up_with_passkey(
        user=request.user,
        response=ceremony.read_body(request) or "",
        expected_challenge=ceremony.base64url_to_bytes(pending["challenge"]),
        rp=ceremony.relying_party(request),
        at=now,
        client_address=client_address(request),
    )
    if not result.ok:
        return _error(result.message, 403 if result.locked else 400, locked=result.locked)
    confirmation.grant(request, result.nonce, at=now)
    messages.success(request, CONFIRMED)
    return JsonResponse({"redirect": reverse("twofactor:account")})


def _pk(request):
    try:
        return int(request.POST.get("passkey", ""))
    except ValueError:
        return None


@login_required
@never_cache
@require_POST
def rename(request):
    try:
        old = services.passkey_rename(
            user=request.user,
            pk=_pk(request),
            name=request.POST.get("name"),
            at=timezone.now(),
            client_address=client_address(request),
        )
    except verification.PasskeyError as error:
        messages.error(request, str(error))
    else:
        new = services.clean_name(request.POST.get("name"))
        messages.success(request, passkey_renamed(old, new))
    return redirect("twofactor:account")


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_POST
def remove(request):
    """The list's Remove asks first (a confirmation naming the key, and the current second factor
    unless this session confirmed with a passkey); the confirmation's submit removes it."""
    now = timezone.now()
    try:
        key = selectors.passkey_to_remove(user=request.user, pk=_pk(request))
    except verification.PasskeyError as error:
        messages.error(request, str(error))
        return redirect("twofactor:account")
    confirmed = "confirmed" in request.POST
    form = CodeForm(request.POST if confirmed else None)
    has_app = bool(getattr(authenticator_of(request.user), "has_app", False))
    if not has_app:
        form.fields["code"].label = BACKUP_CODE_LABEL
    refusal, status = "", 200
    if confirmed:
        status = 400
        nonce = confirmation.take(request, at=now)
        if nonce is not None or form.is_valid():
            try:
                name = services.passkey_remove(
                    user=request.user,
                    pk=key.pk,
                    at=now,
                    code=None if nonce is not None else form.cleaned_data["code"],
                    confirmation=nonce,
                    client_address=client_address(request),
                )
            except verification.PasskeyError as error:
                if nonce is None:
                    form.add_error("code", str(error))
                else:  # the confirmation was used or lapsed meanwhile: a code, then
                    refusal, form = str(error), CodeForm()
            else:
                messages.success(request, passkey_removed(name))
                return redirect("twofactor:account")
    context = {
        "key": key,
        "form": form,
        "has_app": has_app,
        "refusal": refusal,
        "confirmed_until": confirmation.confirmed_until(request, at=now),
    }
    return render(request, "portal2fa/passkey_remove.html", context, status=status)


# --- sign-in ----------------------------------------------------------------------------------------


@never_cache
@require_POST
@signin_step(NextStep.VERIFY, leave=as_json)
def signin_options(request, step: SignInStep):
    challenge = step.challenge
    if challenge.locked:
        return _error(LOCKED, 403, locked=True)
    if not selectors.has_passkeys(challenge.user):
        return _error(services.NO_PASSKEYS)
    options, webauthn_challenge = verification.authentication_options(
        user=challenge.user, rp=ceremony.relying_party(request)
    )
    request.session[ceremony.SIGNIN_KEY] = {
        "challenge": ceremony.bytes_to_base64url(webauthn_challenge),
        "token": step.token,
    }
    return _options(options)


@never_cache
@require_POST
@json_answer
@signin_step(NextStep.VERIFY, leave=as_json)
def signin_verify(request, step: SignInStep):
    """The assertion (JSON body); ?trust_browser=1 when the verify page's box was ticked."""
    challenge, policy, token = step.challenge, step.policy, step.token
    pending = request.session.pop(ceremony.SIGNIN_KEY, None) or {}
    expected = None
    if pending.get("token") == token and pending.get("challenge"):
        expected = ceremony.base64url_to_bytes(pending["challenge"])
    body = ceremony.read_body(request) or ""
    attempt = services.challenge_passkey_attempt(
        token=token,
        response=body,
        expected_challenge=expected,
        rp=ceremony.relying_party(request),
        at=timezone.now(),
        client_address=client_address(request),
        challenge=challenge,
    )
    if not attempt.ok:
        return _error(attempt.message, 403 if attempt.locked else 400, locked=attempt.locked)
    second_factor.complete(request, challenge.user)
    response = JsonResponse({"redirect": second_factor.take_next(request)})
    trusted.grant_if_asked(
        request, response, challenge.user, policy=policy, factor="passkey", in_query=True
    )
    return response


# --- enrollment with a key alone (the sign-in's enrollment step) ------------------------------------


@never_cache
@require_POST
@signin_step(NextStep.ENROLL, leave=as_json)
def enroll_options(request, step: SignInStep):
    """A name for the key: the creation options, the challenge kept with this sign-in's token."""
    if pass_needed(step.challenge, step.policy):  # after a reset, no enrollment without a pass
        return as_json(redirect("twofactor:signin-pass"))
    if step.challenge.locked:
        return _error(LOCKED, 403, locked=True)
    name, refused = _key_name(request, step.user)
    if refused or name is None:
        return refused
    return _start_registration(request, step.user, ceremony.ENROLL_KEY, name, token=step.token)


@never_cache
@require_POST
@json_answer
@signin_step(NextStep.ENROLL, leave=as_json)
def enroll(request, step: SignInStep):
    """The new key (JSON): the user is Enrolled, signed in, and shown their backup codes."""
    challenge, token = step.challenge, step.token
    if pass_needed(challenge, step.policy):
        return as_json(redirect("twofactor:signin-pass"))
    pending, body, refused = _registration_answer(request, ceremony.ENROLL_KEY, token=token)
    if refused:
        return refused
    now = timezone.now()
    try:
        attempt = passkey_enroll(token=token, **_answer(request, pending, body, at=now))
    except verification.PasskeyError as error:
        return _error(str(error))
    if not attempt.ok:
        shown_codes.leave_stored_session(request)  # e.g. a parallel request enrolled: its codes
        return _error(attempt.message, 403 if attempt.locked else 400, locked=attempt.locked)
    second_factor.complete(request, challenge.user)
    return _show_new_codes(
        request, attempt.backup_codes, continue_url=second_factor.take_next(request), at=now
    )


# --- voluntary enrollment with a key alone (the personal page) -------------------------------------


@login_required
@never_cache
@require_POST
def account_enroll_options(request):
    """A name for the key: the creation options for a signed-in user who has not enrolled."""
    now = timezone.now()
    if shown_codes.pending(request, at=now):  # enrolled a moment ago (a lost answer): the codes
        return JsonResponse({"redirect": reverse("twofactor:account-codes")})
    if Authenticator.objects.filter(user=request.user, confirmed_at__isnull=False).exists():
        return _error(SET_UP_ALREADY)  # before the browser makes a key that would go unused
    name, refused = _key_name(request, request.user)
    if refused or name is None:
        return refused
    return _start_registration(request, request.user, ceremony.ACCOUNT_ENROLL_KEY, name)


@login_required
@never_cache
@require_POST
@json_answer
def account_enroll(request):
    """The new key (JSON): Enrolled, and the new backup codes shown once."""
    now = timezone.now()
    pending, body, refused = _registration_answer(request, ceremony.ACCOUNT_ENROLL_KEY)
    if refused:
        if shown_codes.pending(request, at=now):  # a second click: the same codes
            return JsonResponse({"redirect": reverse("twofactor:account-codes")})
        return refused
    try:
        codes = passkey_enroll_signed_in(
            user=request.user, **_answer(request, pending, body, at=now)
        )
    except AlreadySetUp as error:
        shown_codes.leave_stored_session(request)
        return _error(str(error))
    except verification.PasskeyError as error:
        return _error(str(error))
    return _show_new_codes(request, codes, continue_url=reverse("twofactor:account"), at=now)
