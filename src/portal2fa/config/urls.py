from django.urls import include, path

urlpatterns = [
    # set_language: the language switcher's POST (it sets the language cookie)
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal2fa.urls")),
    path("", include("portal2fa.accounts.urls")),
    path("", include("portal2fa.api.urls")),
]

# The library's own error pages (a host wires them the same way).
handler400 = "portal2fa.twofactor.views.errors.bad_request"
handler403 = "portal2fa.twofactor.views.errors.permission_denied"
handler404 = "portal2fa.twofactor.views.errors.page_not_found"
handler500 = "portal2fa.twofactor.views.errors.server_error"
