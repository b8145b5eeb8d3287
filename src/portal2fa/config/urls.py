from django.urls import include, path
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

urlpatterns = [
    # The language switcher's POST (it sets the language cookie); only POST, so that PUT and
    # the like get 405 as on every other page.
    path("i18n/setlang/", require_POST(set_language), name="set_language"),
    path("", include("portal2fa.urls")),
    path("", include("portal2fa.accounts.urls")),
    path("", include("portal2fa.api.urls")),
]

# The library's own error pages (a host wires them the same way).
handler400 = "portal2fa.twofactor.views.errors.bad_request"
handler403 = "portal2fa.twofactor.views.errors.permission_denied"
handler404 = "portal2fa.twofactor.views.errors.page_not_found"
handler500 = "portal2fa.twofactor.views.errors.server_error"
