"""TwoFactorMiddleware: after any login, the session reaches nothing but the second-factor step.

Put it after django.contrib.auth's AuthenticationMiddleware. A session whose user has not passed
the second factor (see web/second_factor.py) may reach only the sign-in pages, the host's logout views,
its login page (which signs the held session out first: a new sign-in starts over), static files
and what a held page may load (web/held_views.py); any other view answers with a redirect to the
second-factor step (browser navigations) or 401 with a JSON reason (scripts, fetch(), APIs).

The hold runs in process_view, after every middleware's request phase: a login that a later
middleware performs (RemoteUserMiddleware, an SSO middleware) is held like any other. Before
that, on every request: an unreadable form body is one 400; a second click that still carries a
rotated-away session id follows it; a session that a security change ended is signed out.
A passed session costs no query here (the session-generation check reads at most every
PORTAL2FA_SESSION_CHECK_SECONDS).
"""

import logging

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from .machinery.policy import NextStep
from .messages import SECOND_FACTOR_FIRST, SESSION_ENDED
from .web import device, held_views, second_factor
from .web.allowed import method_refusal

# URL names a held session may reach: the second-factor pages and the ways out.
HELD_VIEWS = {
    "twofactor:signin",
    "twofactor:signin-verify",
    "twofactor:signin-enroll",
    "twofactor:signin-skip",
    "twofactor:signin-passkey-options",
    "twofactor:signin-passkey",
    "twofactor:signin-verify-email",
    "twofactor:signin-verify-sms",
    "twofactor:signin-enroll-passkey-options",
    "twofactor:signin-enroll-passkey",
    "twofactor:signin-pass",
    "twofactor:signin-remind-later",
    "twofactor:signout",
}
ENDED_MESSAGE = SESSION_ENDED


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = method_refusal(request)  # before CsrfViewMiddleware: 405, not 403
        if refused:
            return refused
        if _unreadable_form(request):
            return _bad_request(request)
        if second_factor.follow_forward(request):  # a second click that carried the old id
            target = request.get_full_path() if request.method in ("GET", "HEAD") else request.path
            return HttpResponseRedirect(target, status=303)
        if second_factor.has_ended(request):  # a security change ended this session
            return _ended(request)
        response = self.get_response(request)
        device.attach(request, response)  # a sign-in completed: the browser's device cookie
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not second_factor.is_held(request):
            return None
        if not request.user.is_authenticated:  # the user is gone, inactive or changed password
            second_factor.forget(request)
            return None
        if held_views.is_login_page(request, view_func):
            if _is_navigation(request):  # not a script or an image that was redirected there
                logout(request)  # the host's login page may send a signed-in user away
            return None
        if _reachable_while_held(request, view_func):
            return None
        return _hold(request)


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
    from .views.errors import bad_request

    logging.getLogger("django.request").warning(
        "Bad Request (unreadable form body): %s", request.path, extra={"status_code": 400}
    )
    request._post, request._files = QueryDict(), MultiValueDict()  # nothing reads it again
    return bad_request(request)


def _ended(request):
    logout(request)
    if not _is_navigation(request):
        return JsonResponse({"error": "signed_out", "detail": str(ENDED_MESSAGE)}, status=401)
    response = redirect(resolve_url(settings.LOGIN_URL))
    if apps.is_installed("django.contrib.messages"):
        # MessageMiddleware comes after this one and does not run: store the message here.
        from django.contrib.messages.storage import default_storage

        storage = default_storage(request)
        storage.add(messages.INFO, ENDED_MESSAGE)
        storage.update(response)
    return response


def _reachable_while_held(request, view_func) -> bool:
    if request.resolver_match and request.resolver_match.view_name in HELD_VIEWS:
        return True
    return held_views.is_logout_view(request, view_func) or held_views.may_load(request, view_func)


def _is_navigation(request) -> bool:
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return "text/html" in request.headers.get("Accept", "")


def _hold(request):
    """The response for a held session; None when this login turns out to need no second factor."""
    if second_factor.begin_unseen_login(request) is NextStep.SIGNED_IN:
        return None
    step_url = reverse("twofactor:signin-verify")  # it sends enrolling users on to enrollment
    if not _is_navigation(request):
        body = {
            "error": "second_factor_required",
            "detail": str(SECOND_FACTOR_FIRST),
            "url": step_url,
        }
        return JsonResponse(body, status=401)
    if request.method == "GET":
        second_factor.remember_next(request, request.get_full_path())
    return redirect(step_url)
