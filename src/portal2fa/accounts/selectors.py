"""Reads about users for lists and search."""

from django.db.models import Case, CharField, Q, Value, When

from .models import User


def users_with_state(*, search: str = ""):
    """Users with their Security Role and an annotated `state_label` (one query)."""
    queryset = User.objects.select_related("role").annotate(
        state_label=Case(
            When(authenticator__confirmed_at__isnull=False, then=Value("Enrolled")),
            When(authenticator__isnull=False, then=Value("Pending")),
            default=Value("Not Started"),
            output_field=CharField(),
        )
    )
    search = search.strip()
    if search:
        queryset = queryset.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
    return queryset.order_by("full_name", "email")
