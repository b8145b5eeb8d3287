"""URL configuration of a Django project (startproject) turned into a django CMS site (what
`djangocms .` adds: the CMS's page route, which answers every path, last), which added Portal 2FA."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
]
urlpatterns.append(path("", include("cms.urls")))

# ---- Portal 2FA: the README snippet, pasted ----
from django.urls import include, path
urlpatterns.insert(0, path("", include("portal2fa.urls")))  # first: before any catch-all route
# ---- end of the snippet ----
