"""record(): the one way to write an audit event. Call it inside the service's transaction."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from .context import current_token
from .models import Action, AuditEvent
from .signals import event_committed, event_recorded


def record(
    action: Action,
    *,
    actor=None,
    target=None,
    client_address: str | None = None,
    at=None,
    **detail,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        at=at or timezone.now(),
        action=action,
        actor=actor,
        actor_token=current_token(),
        target=target,
        client_address=client_address or None,
        detail=detail,
    )
    event_recorded.send(sender=AuditEvent, event=event)
    transaction.on_commit(partial(event_committed.send, sender=AuditEvent, event=event))
    return event
