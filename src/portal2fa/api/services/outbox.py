"""The webhook outbox: a row per subscribed endpoint, written in the transaction of the audit
event it carries (so an event that rolls back is never sent, and one that commits is never lost).
One INSERT … SELECT over the enabled endpoints, whatever their number, none when none listens."""

import uuid

from django.db import connection

from ..events import NOT_IN_ALL, body, event_type, to_json
from ..models import DeliveryStatus, WebhookEndpoint, WebhookMessage


def enqueue_event(sender, event, **kwargs) -> None:
    kind = event_type(event.action)
    qn = connection.ops.quote_name
    messages, endpoints = WebhookMessage._meta.db_table, WebhookEndpoint._meta.db_table
    columns = [
        "endpoint_id",
        "message_id",
        "event_type",
        "payload",
        "created_at",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    every = "" if kind in NOT_IN_ALL else f"{qn('event_types')} = '*' OR "
    # Only quoted identifiers are formatted in; every value goes as a parameter.
    sql = (
        f"INSERT INTO {qn(messages)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"SELECT {qn('id')}, %s, %s, %s, %s, %s, 0, %s, '' FROM {qn(endpoints)} "
        f"WHERE {qn('enabled')} AND ({every}{qn('event_types')} LIKE %s)"
    )
    at = event.at
    params = [
        f"msg_{uuid.uuid4().hex}",
        kind,
        to_json(body(event)),
        at,
        DeliveryStatus.PENDING,
        at,
        f"%,{kind},%",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [connection.ops.adapt_datetimefield_value(p) if p is at else p for p in params]
        )
