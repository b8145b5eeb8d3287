"""A signal per audited event, for host code and the optional API app (webhooks, metrics).

`event_recorded` is sent inside the transaction that records the event: a receiver's writes
commit or roll back with it (the webhook outbox). `event_committed` is sent once that transaction
has committed: for side effects that must not happen for an event that never was (a log line for
a SIEM, a call to another system)."""

from django.dispatch import Signal

event_recorded = Signal()  # sender=AuditEvent, event=<AuditEvent>
event_committed = Signal()  # sender=AuditEvent, event=<AuditEvent>
