"""record(): the one way to write an audit event. Call it inside the service's transaction."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from .context import current_token
from .models import Action, AuditEvent
from .signals import event_committed, event_recorded


@dataclass(frozen=True)
class Origin:
    """Who acted on whom, from which address, when: what the events of one change share."""

    # Any: the host's user model (AUTH_USER_MODEL), which the library does not import
    actor: Any = None
    target: Any = None
    client_address: str | None = None
    at: datetime | None = None


def record(action: Action, origin: Origin | None = None, /, **detail: object) -> AuditEvent:
    """The event: who acted on whom, from where, when (no origin: nobody's, now), and its detail."""
    origin = origin or Origin()
    event = AuditEvent.objects.create(
        at=origin.at or timezone.now(),
        action=action,
        actor=origin.actor,
        actor_token=current_token(),
        target=origin.target,
        client_address=origin.client_address or None,
        detail=detail,
    )
    event_recorded.send(sender=AuditEvent, event=event)
    transaction.on_commit(partial(event_committed.send, sender=AuditEvent, event=event))
    return event
