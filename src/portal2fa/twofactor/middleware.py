"""TwoFactorMiddleware: after any login, the session reaches nothing but the second-factor step.

Put it right after django.contrib.auth's AuthenticationMiddleware. A session whose user has not
passed the second factor (see web/session.py) may reach only the sign-in pages, sign-out, the
login page and static files; any other page answers with a redirect to the second-factor step
(browsers) or 401 with a JSON reason (clients that ask for JSON). A passed session costs no query here.
"""

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from .policy import NextStep
from .web import session as second_factor
from .web.http import client_address

# URL names a held session may reach: the second-factor pages and the ways out.
HELD_VIEWS = {
    "twofactor:signin",
    "twofactor:signin-verify",
    "twofactor:signin-enroll",
    "twofactor:signin-skip",
    "twofactor:signout",
    "logout",
    "admin:logout",
}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _unreadable_form(request):
            return _bad_request(request)
        if second_factor.follow_forward(request):  # a second click that carried the old id
            target = request.get_full_path() if request.method in ("GET", "HEAD") else request.path
            return HttpResponseRedirect(target, status=303)
        if second_factor.has_ended(request):  # a security change ended this session
            return _ended(request)
        if second_factor.is_held(request) and not _reachable_while_held(request):
            response = _hold(request)
            if response is not None:
                return response
        return self.get_response(request)


def _unreadable_form(request) -> bool:
    """A form body Django refuses to decode (a charset other than UTF-8, or undecodable bytes).
    Read here, before CsrfViewMiddleware's process_view and the view, so the answer is one 400
    instead of the same exception raised again by each reader (and logged with tracebacks)."""
    if request.content_type != "application/x-www-form-urlencoded" or request.method in (
        "GET",
        "HEAD",
    ):
        return False
    try:
        request.POST  # noqa: B018  (parses and caches the body)
    except (BadRequest, UnicodeDecodeError):
        return True
    return False


def _bad_request(request):
    import logging

    from .views.errors import bad_request

    logging.getLogger("django.request").warning(
        "Bad Request (unreadable form body): %s", request.path, extra={"status_code": 400}
    )
    request._post, request._files = QueryDict(), MultiValueDict()  # nothing reads it again
    return bad_request(request)


ENDED_MESSAGE = "You were signed out because of a security change to your account. Sign in again."


def _ended(request):
    logout(request)
    if _wants_json(request):
        return JsonResponse({"error": "signed_out", "detail": ENDED_MESSAGE}, status=401)
    response = redirect(resolve_url(settings.LOGIN_URL))
    if apps.is_installed("django.contrib.messages"):
        # MessageMiddleware comes after this one and does not run: store the message here.
        from django.contrib.messages.storage import default_storage

        storage = default_storage(request)
        storage.add(messages.INFO, ENDED_MESSAGE)
        storage.update(response)
    return response


def _reachable_while_held(request) -> bool:
    path = request.path_info
    static = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else None
    if static and not static.startswith("/http") and path.startswith(static):
        return True
    if path == resolve_url(settings.LOGIN_URL):  # "Start a new sign-in" on the host's page
        return True
    try:
        return resolve(path).view_name in HELD_VIEWS
    except Resolver404:
        return False


def _wants_json(request) -> bool:
    """A script or API client rather than a browser navigating (which accepts text/html)."""
    accept = request.headers.get("Accept", "")
    return (
        ("json" in accept and "text/html" not in accept)
        or request.content_type == "application/json"
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def _hold(request):
    """The response for a held session; None when this login turns out to need no second factor."""
    if second_factor.TOKEN_KEY not in request.session:  # a login this library did not see
        step = second_factor.begin(
            request,
            request.user,
            at=timezone.now(),
            client_address=client_address(request),
            first_factor="login",
        )
        if step is NextStep.SIGNED_IN:
            return None
    step_url = reverse("twofactor:signin-verify")  # it sends enrolling users on to enrollment
    if _wants_json(request):
        return JsonResponse(
            {
                "error": "second_factor_required",
                "detail": "Complete the second factor first.",
                "url": step_url,
            },
            status=401,
        )
    if request.method == "GET":
        second_factor.remember_next(request, request.get_full_path())
    return redirect(step_url)
