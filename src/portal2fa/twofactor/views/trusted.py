"""The personal page's trusted browsers (revoke one, revoke all) and "Sign out everywhere".

Thin: parse, call one service, redirect. POST only; the list itself is on the account page.
A revocation asks first in the personal page's confirmation dialog, naming what goes, for the
current second factor unless this session confirmed recently (sudo mode, as removing a key does).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ..forms import CodeForm
from ..machinery.policy import authenticator_of
from ..machinery.step_up_grants import still_confirmed
from ..messages import (
    BACKUP_CODE_LABEL,
    BROWSER_NOT_IN_LIST,
    BROWSER_UNTRUSTED,
    HAD_NO_TRUSTED_BROWSERS,
    NO_BROWSER_TRUSTED_NOW,
    SIGNED_OUT_EVERYWHERE,
)
from ..passkeys.services import passkey_step_up
from ..selectors.trusted import trusted_browsers_of
from ..services.trusted_browsers import (
    signed_out_everywhere,
    trusted_browser_revoke,
    trusted_browsers_revoke_all,
)
from ..web import confirmation
from ..web.http import client_address


def _unconfirmed(request, *, at):
    """None when the user confirmed it is them (a recent confirmation, left for later changes,
    or a right code in the dialog's post); else the dialog's code form, with its error if any."""
    enrollment = authenticator_of(request.user)
    if enrollment is None or enrollment.confirmed_at is None:
        return None  # nothing to confirm with (trust only follows a second factor)
    nonce = confirmation.nonce(request, at=at)
    if nonce is not None and not still_confirmed(request.user, at=at, nonce=nonce, consume=False):
        return None
    posted = "confirmed" in request.POST
    form = CodeForm(request.POST if posted else None)
    if not enrollment.has_app:
        form.fields["code"].label = BACKUP_CODE_LABEL
    if posted and form.is_valid():
        step_up = passkey_step_up(
            user=request.user,
            code=form.cleaned_data["code"],
            at=at,
            client_address=client_address(request),
            purpose="trusted browser revocation",
        )
        if step_up.ok:
            return None
        form.add_error("code", step_up.message)
    return form


def _dialog(request, form, **context):
    status = 400 if "confirmed" in request.POST else 200
    has_app = bool(getattr(authenticator_of(request.user), "has_app", False))
    context.update(form=form, has_app=has_app, confirmed_until=None)
    return render(request, "portal2fa/trusted_revoke.html", context, status=status)


@login_required
@never_cache
@require_POST
@sensitive_post_parameters("code")
def revoke(request, pk: int):
    now = timezone.now()
    browser = next((b for b in trusted_browsers_of(request.user) if b.pk == pk), None)
    if browser is not None:
        form = _unconfirmed(request, at=now)
        if form is not None:
            return _dialog(request, form, browser=browser)
    done = browser is not None and trusted_browser_revoke(
        user=request.user, browser_id=pk, at=now, client_address=client_address(request)
    )
    if done:
        messages.success(request, BROWSER_UNTRUSTED)
    else:
        messages.error(request, BROWSER_NOT_IN_LIST)
    return redirect("twofactor:account")


@login_required
@never_cache
@require_POST
@sensitive_post_parameters("code")
def revoke_all(request):
    now = timezone.now()
    browsers = trusted_browsers_of(request.user)
    if browsers:
        form = _unconfirmed(request, at=now)
        if form is not None:
            return _dialog(request, form, browsers=browsers)
    count = trusted_browsers_revoke_all(
        user=request.user,
        at=now,
        client_address=client_address(request),
        reason="revoked by the user",
    )
    if count:
        messages.success(request, NO_BROWSER_TRUSTED_NOW)
    else:
        messages.info(request, HAD_NO_TRUSTED_BROWSERS)
    return redirect("twofactor:account")


@login_required
@never_cache
@require_POST
def sign_out_everywhere(request):
    """End every session of the user, this one too, and revoke every trusted browser."""
    signed_out_everywhere(
        user=request.user, at=timezone.now(), client_address=client_address(request)
    )
    logout(request)
    messages.info(request, SIGNED_OUT_EVERYWHERE)
    return redirect(resolve_url(settings.LOGIN_URL))
