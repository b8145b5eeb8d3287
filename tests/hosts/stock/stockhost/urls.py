"""URL configuration of a stock Django project (startproject) that added Portal 2FA."""

from django.contrib import admin
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("api/me", views.me, name="api-me"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("bye/", views.SignOffView.as_view(), name="bye"),
    path("leave/", views.leave, name="leave"),
    path("icons/sprite.svg", views.icons, name="icons"),
]

# ---- Portal 2FA: the README snippet, pasted ----
from django.urls import include, path
urlpatterns.insert(0, path("", include("portal2fa.urls")))  # first: before any catch-all route
# ---- end of the snippet ----

urlpatterns += [path("accounts/", include("django.contrib.auth.urls"))]  # Django's own LoginView
