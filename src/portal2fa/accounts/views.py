from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..twofactor.machinery.policy import current_policy
from ..twofactor.selectors.enrollment import status_of
from ..twofactor.web.decorators import administrator_required


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
