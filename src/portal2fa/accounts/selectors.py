"""Reads about the demo portal's users for its Users page."""

from django.db.models import Q

from ..twofactor.selectors.users import with_state
from .models import User


def users_with_state(*, search: str = ""):
    """Users with their Security Role and an annotated `enrollment_state` (one query)."""
    queryset = with_state(User.objects.select_related("role"))
    search = search.strip()
    if search:
        queryset = queryset.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
    return queryset.order_by("full_name", "email")
