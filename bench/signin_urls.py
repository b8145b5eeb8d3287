"""URLs of bench/signin_app.py: the demo portal plus the bare-login floor."""

from django.urls import include, path


def bare_login(request):
    from django.contrib.auth import get_user_model, login
    from django.http import HttpResponseRedirect

    user = get_user_model().objects.get(pk=int(request.POST["user"]))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect("/")


urlpatterns = [
    path("bench/login/", bare_login),
    path("", include("portal2fa.config.urls")),
]
