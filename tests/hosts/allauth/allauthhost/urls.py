"""URL configuration of a Django project (startproject) signing in with django-allauth (its
quick-start), which added Portal 2FA."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", views.home, name="home"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

# ---- Portal 2FA: the README snippet, pasted ----
from django.urls import include, path
urlpatterns.insert(0, path("", include("portal2fa.urls")))  # first: before any catch-all route
# ---- end of the snippet ----
