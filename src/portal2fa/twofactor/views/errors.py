"""The library's error pages, for a host to wire in (the demo does, in config/):

    handler400 = "portal2fa.twofactor.views.errors.bad_request"
    handler403 = "portal2fa.twofactor.views.errors.permission_denied"
    handler404 = "portal2fa.twofactor.views.errors.page_not_found"
    handler500 = "portal2fa.twofactor.views.errors.server_error"
    CSRF_FAILURE_VIEW = "portal2fa.twofactor.views.errors.csrf_failure"

Each renders portal2fa/errors/<status>.html (a host may override the templates); none shows an
exception's text. The 500 page is a standalone template that needs neither database nor user.
"""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token


def _render(request, status: int, template: str, context=None) -> HttpResponse:
    body = loader.render_to_string(f"portal2fa/errors/{template}.html", context or {}, request)
    response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def bad_request(request, exception=None):
    return _render(request, 400, "400")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _render(request, 403, "403")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _render(request, 404, "404")


def server_error(request):
    body = loader.render_to_string("portal2fa/errors/500.html")  # no request: no context processors
    return HttpResponse(body, status=500)


def csrf_failure(request, reason: str = ""):
    """A stale form (a sign-in or sign-out in another tab, a page left open, a reload of a
    POST): a way back and "Start again" instead of Django's technical page."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    referer = request.headers.get("Referer", "")
    back = (
        referer
        if referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        else None
    )
    context = {
        "start_again_url": resolve_url(settings.LOGIN_URL),
        "back_url": back,
        "no_cookie": reason == REASON_NO_CSRF_COOKIE,
    }
    return _render(request, 403, "csrf", context)
