from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache

from ..adapter import get_adapter


def administrator_required(view):
    """Anonymous: redirect to sign-in. Signed in but not an administrator of 2FA: 403.
    Every answer is `Cache-Control: no-store` (Setup pages, JSON and CSV hold user data)."""

    @wraps(view)
    @never_cache
    @login_required
    def wrapped(request, *args, **kwargs):
        if not get_adapter().can_administer(request.user):
            raise PermissionDenied("Administrators only.")
        return view(request, *args, **kwargs)

    return wrapped
