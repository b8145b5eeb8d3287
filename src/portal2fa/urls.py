"""Everything Portal 2FA serves: `path("", include("portal2fa.urls"))` in a host's urls.py."""

from django.urls import include, path

urlpatterns = [path("", include("portal2fa.twofactor.urls"))]
