"""The host's own pages: what a held session must not reach."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse


@login_required
def home(request):
    return HttpResponse(f"<!doctype html><title>Host</title><h1>Host home of {request.user}</h1>")


@login_required
def me(request):
    return JsonResponse({"username": request.user.get_username()})
