from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from ..twofactor.machinery.policy import current_policy
from ..twofactor.selectors.enrollment import status_of
from ..twofactor.web.decorators import administrator_required
from .services import user_language_set


@login_required
@require_safe
def home(request):
    return render(
        request, "accounts/home.html", {"status": status_of(request.user, current_policy())}
    )


@administrator_required
@require_safe
def setup_home(request):
    return render(request, "accounts/setup_home.html")


@require_POST
def language_choose(request):
    """The language switcher: Django's set_language (the cookie, back to `next`), and for a
    signed-in user also their stored choice, which every mail to them is written in."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
