"""{% load access_passes %}: the Temporary Access Pass panel of the Setup pages (the user's 2FA view
and the Reset Enrollment tab), so those pages' views and templates need one line each."""

import secrets

from django import template
from django.utils import timezone

from ..core import access_pass
from ..machinery.policy import current_policy
from ..selectors.access_passes import live_pass
from ..web import shown_pass

register = template.Library()


@register.inclusion_tag("portal2fa/setup/_user_pass_panel.html", takes_context=True)
def access_pass_panel(context, user_pk, name: str, page: str):
    """`page`: "user" (the user's 2FA view) or "reset" (the Reset tab, whose selected user the
    Issue button takes from the Reset form)."""
    request = context.get("request")  # Django's request context processor (startproject's)
    live = live_pass(user_pk, at=timezone.now()) if user_pk else None
    code = shown_pass.pending(request, user_pk, live) if user_pk and request else None
    return {
        "csrf_token": context.get("csrf_token"),
        "pass_user": user_pk,
        "pass_name": name,
        "page": page,
        "live": live,
        "shown": access_pass.display(code) if code else "",
        # the issuing form's id: a second click on Issue issues no second pass
        "request_id": secrets.token_urlsafe(16),
    }


@register.simple_tag
def reset_needs_pass() -> bool:
    return current_policy().reset_needs_access_pass
