from django.urls import include, path

urlpatterns = [
    path("", include("portal2fa.twofactor.urls")),
    path("", include("portal2fa.accounts.urls")),
    path("", include("portal2fa.audit.urls")),
]
