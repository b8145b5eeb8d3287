"""The user's personal two-factor page : status, voluntary enrollment, regenerate codes.

An action that needs the current second factor asks for it in the confirmation dialog
(templates/portal2fa/confirm_dialog.html), never on the page itself (sudo mode)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..forms import PasswordChangeForm, TotpForm
from ..machinery.policy import authenticator_of, current_policy
from ..machinery.step_up_grants import USED_OR_EXPIRED, confirmation_open
from ..messages import APP_ALREADY_SET_UP, NO_CODES_TO_SHOW, PASSWORD_CHANGED
from ..models import WebAuthnCredential
from ..passkeys.selectors import passkeys_usable
from ..selectors.enrollment import pairing_for, sign_in_summary, status_of
from ..selectors.trusted import trusted_browsers_of
from ..services.backup_codes import backup_codes_regenerate, backup_codes_regenerate_confirmed
from ..services.enrollment import EnrollmentError, enrollment_begin, enrollment_confirm
from ..services.password_change import needs_code, password_change
from ..services.trusted_browsers import trust_applies
from ..web import confirmation, second_factor, shown_codes
from ..web.http import client_address, see_other


@login_required
@never_cache
@require_safe
def overview(request):
    return account_page(request, TotpForm(autofocus=False))  # no number pad on arrival


def account_page(request, regenerate_form, status: int = 200):
    policy, now = current_policy(), timezone.now()
    nonce = confirmation.nonce(request, at=now)
    if nonce is not None and not confirmation_open(request.user, at=now, nonce=nonce):
        confirmation.take(
            request, at=now
        )  # used (perhaps by a parallel request), replaced, expired
        messages.info(request, USED_OR_EXPIRED)
    passkeys = list(WebAuthnCredential.objects.filter(user=request.user))
    usable = passkeys_usable(request.user, policy)
    enrollment = status_of(request.user, policy)
    trusted = trusted_browsers_of(request.user)
    context = {
        "status": enrollment,
        "sign_in_with": sign_in_summary(
            enrollment, passkeys=len(passkeys), trusted_browsers=len(trusted)
        ),
        "policy": policy,
        "regenerate_form": regenerate_form,
        "codes_waiting": shown_codes.pending(request, at=now) is not None,
        "passkeys": passkeys,
        "passkeys_usable": usable,
        # "Confirm with a passkey" instead of a code, for whoever has a key they may use
        "confirm_offered": usable and bool(passkeys),
        "confirmed_until": confirmation.confirmed_until(request, at=now),
        "trusted_browsers": trusted,
        "trust_offered": trust_applies(request.user, policy),
    }
    return render(request, "portal2fa/account.html", context, status=status)


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def enroll(request):
    """POST start: issue a Pending secret (a GET never changes state). GET: show it. POST code: confirm."""
    policy = current_policy()
    authenticator = authenticator_of(request.user)
    now, address = timezone.now(), client_address(request)
    if authenticator and authenticator.confirmed_at:
        if shown_codes.pending(request, at=now):  # a second click on Confirm: the same codes
            return see_other(reverse("twofactor:account-codes"))
        if authenticator.has_app:
            messages.info(request, APP_ALREADY_SET_UP)
        return redirect("twofactor:account")  # enrolled with a key alone: the page offers an app
    if request.method == "POST" and "start" in request.POST:
        enrollment_begin(user=request.user, at=now, client_address=address)
        return redirect("twofactor:account-enroll")
    if authenticator is None:
        return redirect("twofactor:account")
    form = TotpForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = enrollment_confirm(
                    user=request.user,
                    code=form.cleaned_data["code"],
                    at=now,
                    client_address=address,
                )
            except EnrollmentError as error:
                messages.error(request, str(error))
                return redirect("twofactor:account")
            if result.ok:
                return _show_new_codes(request, result, kind=shown_codes.ENROLLED, at=now)
            form.add_error("code", result.message)
    return render(
        request,
        "portal2fa/account_enroll.html",
        {
            "form": form,
            "pairing": pairing_for(authenticator, policy),
        },
        status=status,
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_POST
def regenerate(request):
    now = timezone.now()
    # A set not yet saved is shown again, not replaced: a second click (whose code is now used),
    # a resubmit after a lost response, or the back button must not destroy the codes on screen.
    if shown_codes.pending(request, at=now):
        return see_other(reverse("twofactor:account-codes"))
    form = TotpForm(request.POST)
    if "code" not in request.POST and confirmation.nonce(request, at=now) is None:
        # no recent confirmation: ask for the current factor in the dialog, change nothing
        return codes_dialog(request, TotpForm())
    nonce = confirmation.take(request, at=now)
    if nonce is not None:  # confirmed with a passkey: no code this time
        result = backup_codes_regenerate_confirmed(
            user=request.user, nonce=nonce, at=now, client_address=client_address(request)
        )
        if result.message == USED_OR_EXPIRED:
            # Perhaps a parallel request of this session used it and is saving its new codes in
            # the session: no write here (not even a message); the personal page says why.
            shown_codes.leave_stored_session(request)
            return see_other(reverse("twofactor:account"))
        if not result.ok:  # locked meanwhile, or reset: the confirmation is gone with it
            messages.error(request, result.message)
            return see_other(reverse("twofactor:account"))
        return _show_new_codes(request, result, at=now)
    if form.is_valid():
        result = backup_codes_regenerate(
            user=request.user,
            code=form.cleaned_data["code"],
            at=now,
            client_address=client_address(request),
        )
        if result.ok:
            return _show_new_codes(request, result, at=now)
        form.add_error("code", result.message)
    return codes_dialog(request, form, status=400)


def codes_dialog(request, form, status: int = 200):
    """The confirmation dialog before a new set of backup codes (a page: no script needed)."""
    enrollment = authenticator_of(request.user)
    context = {
        "form": form,
        "codes_remaining": getattr(enrollment, "backup_codes_remaining", 0),
        "confirmed_until": None,  # asked only when there is no confirmation to use
    }
    return render(request, "portal2fa/codes_dialog.html", context, status=status)


def _show_new_codes(request, result, *, at, kind=shown_codes.REGENERATED):
    """The new set, then back to the personal page."""
    continue_url = reverse("twofactor:account")
    return shown_codes.show(
        request, result.backup_codes, kind=kind, continue_url=continue_url, at=at
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def new_codes(request):
    """The new backup codes of this session: shown on every GET until "I have saved my codes"
    (POST) or until they expire; then destroyed."""
    pending = shown_codes.pending(request, at=timezone.now())
    if request.method == "POST":
        shown_codes.discard(request)
        target = pending.continue_url if pending else reverse("twofactor:account")
        return see_other(target)
    if pending is None:
        messages.info(request, NO_CODES_TO_SHOW)
        return redirect("twofactor:account")
    context = {"codes": pending.codes, "just_enrolled": pending.kind == shown_codes.ENROLLED}
    return render(request, "portal2fa/backup_codes.html", context)


@login_required
@never_cache
@sensitive_post_parameters("current_password", "new_password1", "new_password2", "code")
@require_http_methods(["GET", "HEAD", "POST"])
def change_password(request):
    """Change your password: the current one plus a current second factor when enrolled. The
    other sessions of the user end; this one stays signed in (a new session id)."""
    user, now = request.user, timezone.now()
    confirmed = confirmation.nonce(request, at=now)  # a passkey confirmation instead of a code
    enrollment = authenticator_of(user)
    has_app = enrollment is None or enrollment.has_app
    form = PasswordChangeForm(
        request.POST if request.method == "POST" else None,
        needs_code=needs_code(user) and confirmed is None,
        has_app=has_app,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
                code=form.cleaned_data.get("code"),
                at=now,
                client_address=client_address(request),
                confirmation=confirmed,
            )
            if confirmed is not None and "code" in result.errors:
                # used meanwhile (another browser, a parallel change), expired or locked: the
                # page asks for a code again, with the reason above the form
                confirmation.take(request, at=now)
                form = PasswordChangeForm(request.POST, needs_code=True, has_app=has_app)
                form.is_valid()
                form.errors.pop("code", None)  # not asked for in this post: not its fault
                for error in result.errors.pop("code"):
                    form.add_error(None, error)
            if result.ok:
                confirmation.take(request, at=now)
                old_key = request.session.session_key
                update_session_auth_hash(request, user)  # this session stays signed in (new id)
                second_factor.leave_forward(request, old_key)  # a second click stays signed in
                second_factor.keep_generation(request, result.generation)
                messages.success(request, PASSWORD_CHANGED)
                return see_other(reverse("twofactor:account"))
            for field, errors in result.errors.items():
                for error in errors:
                    form.add_error(field or None, error)
    context = {"form": form, "confirmed": confirmed is not None and needs_code(user)}
    return render(request, "portal2fa/account_password.html", context, status=status)
