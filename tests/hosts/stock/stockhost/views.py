"""The host's own pages: what a held session must not reach."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import HttpResponse, JsonResponse


@login_required
def home(request):
    return HttpResponse(f"<!doctype html><title>Host</title><h1>Host home of {request.user}</h1>")


@login_required
def me(request):
    return JsonResponse({"username": request.user.get_username()})


class SignOffView(LogoutView):
    """A logout view of the host's own, under a name of its own."""


def leave(request):
    """A logout view that is not Django's (PORTAL2FA_LOGOUT_VIEWS names it)."""
    logout(request)
    return HttpResponse("<!doctype html><title>Host</title><h1>Goodbye</h1>")


def icons(request):
    """A static-like view a held page in the host's layout loads (an icon sprite)."""
    return HttpResponse(
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>', content_type="image/svg+xml"
    )
