"""Each contender's own sign-in pages, chosen by the settings module."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path


def home(request):
    return HttpResponse("signed in" if request.user.is_authenticated else "anonymous")


def _contender_urls():
    if settings.CONTENDER == "portal":
        return [path("", include("portal2fa.urls"))]
    if settings.CONTENDER == "allauth":
        return [path("accounts/", include("allauth.urls"))]
    from two_factor.urls import urlpatterns as two_factor_urls

    return [path("", include(two_factor_urls))]


urlpatterns = [path("", home), *_contender_urls()]
