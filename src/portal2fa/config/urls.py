from django.urls import include, path

urlpatterns = [
    path("", include("portal2fa.urls")),
    path("", include("portal2fa.accounts.urls")),
]
