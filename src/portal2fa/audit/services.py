"""record(): the one way to write an audit event. Call it inside the service's transaction."""

from django.utils import timezone

from .models import Action, AuditEvent


def record(
    action: Action,
    *,
    actor=None,
    target=None,
    client_address: str | None = None,
    at=None,
    **detail,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        action=action,
        actor=actor,
        target=target,
        client_address=client_address or None,
        detail=detail,
    )
