"""Reads of the audit trail, filtered by user (name or email of actor or target), action and date."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_events(
    *, user: str = "", action: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor", "target")
    user = user.strip()
    if user:
        events = events.filter(
            Q(actor__email__icontains=user)
            | Q(actor__full_name__icontains=user)
            | Q(target__email__icontains=user)
            | Q(target__full_name__icontains=user)
        )
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(at__lt=_start_of(date_to + timedelta(days=1)))
    return events.order_by("-at", "-id")
