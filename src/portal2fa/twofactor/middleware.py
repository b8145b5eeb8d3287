"""TwoFactorMiddleware: after any login, the session reaches nothing but the second-factor step.

Put it after django.contrib.auth's AuthenticationMiddleware. A session whose user has not passed
the second factor (see web/session.py) may reach only the sign-in pages, sign-out, the host's
login page and static files; any other view answers with a redirect to the second-factor step
(browser navigations) or 401 with a JSON reason (anything else: scripts, fetch(), APIs).

The check runs in process_view, after every middleware's request phase: a login that a later
middleware performs (RemoteUserMiddleware, an SSO middleware) is held like any other. A passed
session costs no query here.
"""

from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .policy import NextStep
from .web import device
from .web import session as second_factor

# URL names a held session may reach: the second-factor pages and the ways out.
HELD_VIEWS = {
    "twofactor:signin",
    "twofactor:signin-verify",
    "twofactor:signin-enroll",
    "twofactor:signin-skip",
    "twofactor:signout",
    "logout",
    "admin:login",
    "admin:logout",
}
STATIC_VIEWS = {"django.views.static.serve", "django.contrib.staticfiles.views.serve"}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        device.attach(request, response)  # a sign-in completed: the browser's device cookie
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not second_factor.is_held(request):
            return None
        if not request.user.is_authenticated:  # the user is gone, inactive or changed password
            second_factor.forget(request)
            return None
        if _reachable_while_held(request, view_func):
            return None
        return _hold(request)


def _reachable_while_held(request, view_func) -> bool:
    if request.resolver_match and request.resolver_match.view_name in HELD_VIEWS:
        return True
    if f"{view_func.__module__}.{view_func.__name__}" in STATIC_VIEWS:
        return True
    # The host's login page ("Start a new sign-in"): a LoginView, where a new login starts over.
    return issubclass(getattr(view_func, "view_class", type(None)), LoginView)


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
            "detail": "Complete the second factor first.",
            "url": step_url,
        }
        return JsonResponse(body, status=401)
    if request.method == "GET":
        second_factor.remember_next(request, request.get_full_path())
    return redirect(step_url)
