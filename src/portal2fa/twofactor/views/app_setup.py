"""Adding an authenticator app on the personal page, for an enrollment without one (a key alone).

POST start: after a confirmation (a backup code, or this session's passkey confirmation) a new
secret is kept encrypted in the session. GET: its QR code and manual key. POST code: the app's
first code stores it (services/app_setup.py). Thin: parse, call one service, answer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ..forms import BackupCodeForm, TotpForm
from ..machinery.policy import authenticator_of, current_policy
from ..machinery.step_up_grants import still_confirmed
from ..messages import APP_ADDED
from ..passkeys.services import passkey_step_up
from ..selectors.enrollment import pairing_of
from ..services.app_setup import ALREADY_HAS_APP, EXPIRED, app_add, new_app_secret
from ..web import confirmation
from ..web.http import client_address, see_other

ADDED = APP_ADDED


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def app_setup(request):
    now = timezone.now()
    enrollment = authenticator_of(request.user)
    if enrollment is None or enrollment.confirmed_at is None:  # not enrolled: the usual enrollment
        return redirect("twofactor:account")
    if enrollment.has_app:
        confirmation.discard_app_secret(request)
        messages.info(request, ALREADY_HAS_APP)
        return redirect("twofactor:account")
    if request.method == "POST" and "start" in request.POST:
        return _start(request, now)
    secret = confirmation.app_secret(request, at=now)
    if secret is None:
        messages.error(request, EXPIRED)
        return redirect("twofactor:account")
    form = TotpForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = app_add(
                user=request.user,
                encrypted_secret=secret,
                code=form.cleaned_data["code"],
                at=now,
                client_address=client_address(request),
            )
            if result.ok:
                confirmation.discard_app_secret(request)
                messages.success(request, ADDED)
                return see_other(reverse("twofactor:account"))
            if result.done:
                confirmation.discard_app_secret(request)
                messages.error(request, result.message)
                return see_other(reverse("twofactor:account"))
            form.add_error("code", result.message)
    context = {"form": form, "pairing": pairing_of(request.user, secret, current_policy())}
    return render(request, "portal2fa/account_app.html", context, status=status)


def _start(request, now):
    """The confirmation first; then a new secret (a second start shows a new one)."""
    address = client_address(request)
    nonce = confirmation.take(request, at=now)
    if nonce is not None:  # confirmed with a passkey: no code this time
        refusal = still_confirmed(request.user, at=now, nonce=nonce)
        if refusal:
            messages.error(request, refusal)
            return see_other(reverse("twofactor:account"))
    elif "code" not in request.POST:  # no recent confirmation: ask in the dialog first
        return app_dialog(request, BackupCodeForm())
    else:
        form = BackupCodeForm(request.POST)
        if form.is_valid():
            step_up = passkey_step_up(
                user=request.user,
                code=form.cleaned_data["code"],
                at=now,
                client_address=address,
                purpose="authenticator app setup",
            )
            if not step_up.ok:
                form.add_error("code", step_up.message)
        if not form.is_valid():
            return app_dialog(request, form, status=400)
    confirmation.keep_app_secret(request, new_app_secret(), at=now)
    return see_other(reverse("twofactor:account-app"))


def app_dialog(request, form, status: int = 200):
    """The confirmation dialog before setting up an app (a page: no script needed)."""
    context = {"form": form, "confirmed_until": None}
    return render(request, "portal2fa/app_dialog.html", context, status=status)
