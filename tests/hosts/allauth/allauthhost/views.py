"""The host's own page: what a held session must not reach."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def home(request):
    return HttpResponse(f"<!doctype html><title>Host</title><h1>Host home of {request.user}</h1>")
