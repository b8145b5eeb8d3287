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

    actor: object = None
    target: object = None
    client_address: str | None = None
    at: datetime | None = None


def record(
    action: Action,
    origin: Origin | None = None,
    /,
    *,
    actor: Any = None,
    target: Any = None,
    # Any: a detail dict unpacked with ** must fit every keyword here
    client_address: Any = None,
    at: Any = None,
    **detail: Any,
) -> AuditEvent:
    """The event, with its origin given as one Origin or as its four parts."""
    if origin is not None:
        actor, target, client_address, at = (
            origin.actor,
            origin.target,
            origin.client_address,
            origin.at,
        )
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
