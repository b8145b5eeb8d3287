"""Setup → API tokens and Setup → Webhooks: administrators only, thin over the services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from ..twofactor.web.decorators import administrator_required
from ..twofactor.web.http import client_address
from .events import all_event_types
from .forms import EndpointForm, TokenForm
from .models import DeliveryStatus, Scope, WebhookEndpoint, WebhookMessage
from .services.tokens import TokenError, live_tokens, token_create, token_revoke
from .services.webhooks import WebhookError, deliveries_replay, endpoint_create, endpoint_delete

SHOWN_ONCE = "portal2fa_api_shown_once"
FAILED_SHOWN = 50


def _pop_shown(request):
    """A secret just created, shown on the page the POST redirects to, once."""
    return request.session.pop(SHOWN_ONCE, None)


@administrator_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(
        request.POST if request.method == "POST" and "create" in request.POST else None
    )
    if request.method == "POST":
        at, address = timezone.now(), client_address(request)
        if "revoke" in request.POST:
            try:
                token = token_revoke(
                    actor=request.user,
                    token_id=int(request.POST.get("revoke") or 0),
                    at=at,
                    client_address=address,
                )
                messages.success(
                    request, gettext("The token %(name)s has been revoked.") % {"name": token.name}
                )
            except (TokenError, ValueError) as error:
                messages.error(request, str(error).capitalize() + ".")
            return redirect("portal2fa_api:setup-tokens")
        if form.is_valid():
            try:
                new = token_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    at=at,
                    expires_at=form.expires_at(at),
                    client_address=address,
                )
            except TokenError as error:
                form.add_error("name", str(error).capitalize() + ".")
            else:
                request.session[SHOWN_ONCE] = {"name": new.token.name, "secret": new.secret}
                return redirect("portal2fa_api:setup-tokens")
    return render(
        request,
        "portal2fa/api/tokens.html",
        {
            "form": form,
            "tokens": live_tokens(at=timezone.now()),
            "shown": _pop_shown(request),
            "scopes": Scope.choices,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    form = EndpointForm(
        request.POST if request.method == "POST" and "add" in request.POST else None
    )
    if request.method == "POST":
        at, address = timezone.now(), client_address(request)
        if "remove" in request.POST:
            try:
                name = endpoint_delete(
                    actor=request.user,
                    endpoint_id=int(request.POST.get("remove") or 0),
                    at=at,
                    client_address=address,
                )
                messages.success(
                    request, gettext("The endpoint %(name)s has been removed.") % {"name": name}
                )
            except (WebhookError, ValueError) as error:
                messages.error(request, str(error).capitalize() + ".")
            return redirect("portal2fa_api:setup-webhooks")
        if "replay" in request.POST:
            ids = [int(v) for v in request.POST.getlist("delivery") if v.isdigit()]
            count = deliveries_replay(
                actor=request.user, at=at, message_ids=ids or None, client_address=address
            )
            messages.success(
                request,
                ngettext(
                    "%(count)s failed delivery queued again.",
                    "%(count)s failed deliveries queued again.",
                    count,
                )
                % {"count": count},
            )
            return redirect("portal2fa_api:setup-webhooks")
        if form.is_valid():
            try:
                endpoint, secret = endpoint_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                    at=at,
                    client_address=address,
                )
            except WebhookError as error:
                form.add_error("url", str(error).capitalize() + ".")
            else:
                request.session[SHOWN_ONCE] = {"name": endpoint.name, "secret": secret}
                return redirect("portal2fa_api:setup-webhooks")
    failed = (
        WebhookMessage.objects.filter(status=DeliveryStatus.FAILED)
        .select_related("endpoint")
        .order_by("-id")[:FAILED_SHOWN]
    )
    return render(
        request,
        "portal2fa/api/webhooks.html",
        {
            "form": form,
            "endpoints": WebhookEndpoint.objects.all(),
            "failed": failed,
            "shown": _pop_shown(request),
            "event_types": all_event_types(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
