"""Reads of the audit trail, filtered by user (as actor or target), action and date."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_events(
    *,
    users: QuerySet | None = None,
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """`users`: a queryset of users (say, a search); events whose actor or target is one of them."""
    events = AuditEvent.objects.select_related("actor", "target")
    if users is not None:
        ids = users.values("pk")
        events = events.filter(Q(actor__in=ids) | Q(target__in=ids))
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(at__lt=_start_of(date_to + timedelta(days=1)))
    return events.order_by("-at", "-id")
