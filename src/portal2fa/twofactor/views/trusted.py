"""The personal page's trusted browsers (revoke one, revoke all) and "Sign out everywhere".

Thin: parse, call one service, redirect. POST only; the list itself is on the account page.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, resolve_url
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import messages as texts
from ..services.trusted_browsers import (
    signed_out_everywhere,
    trusted_browser_revoke,
    trusted_browsers_revoke_all,
)
from ..web.http import client_address


@login_required
@never_cache
@require_POST
def revoke(request, pk: int):
    done = trusted_browser_revoke(
        user=request.user, browser_id=pk, at=timezone.now(), client_address=client_address(request)
    )
    if done:
        messages.success(request, texts.BROWSER_UNTRUSTED)
    else:
        messages.error(request, texts.BROWSER_NOT_IN_LIST)
    return redirect("twofactor:account")


@login_required
@never_cache
@require_POST
def revoke_all(request):
    count = trusted_browsers_revoke_all(
        user=request.user,
        at=timezone.now(),
        client_address=client_address(request),
        reason="revoked by the user",
    )
    if count:
        messages.success(request, texts.NO_BROWSER_TRUSTED_NOW)
    else:
        messages.info(request, texts.HAD_NO_TRUSTED_BROWSERS)
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
    messages.info(request, texts.SIGNED_OUT_EVERYWHERE)
    return redirect(resolve_url(settings.LOGIN_URL))
