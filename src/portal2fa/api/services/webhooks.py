"""Webhook endpoints (audited changes) and the delivery of the outbox: claimed a batch at a time
(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so several `deliver` workers share the work; on
SQLite the write lock serialises the claims), retried with exponential backoff, kept as failed
after the last attempt until replayed."""

import base64
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ...twofactor.machinery import keys
from ..addresses import AddressRefused, resolve
from ..conf import setting
from ..delivery import Sender, endpoint_secret
from ..events import all_event_types
from ..models import DeliveryStatus, WebhookEndpoint, WebhookMessage
from . import metrics


class WebhookError(ValueError):
    """A refused endpoint change, with the reason to show."""


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _clean_types(types) -> str:
    wanted = sorted({str(t).strip() for t in types or [] if str(t).strip()})
    if not wanted or wanted == ["*"]:
        return "*"
    known = set(all_event_types())
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise WebhookError(
            gettext("unknown event type %(type)s (see 'portal2fa webhook types')")
            % {"type": repr(unknown[0])}
        )
    return "," + ",".join(wanted) + ","


def endpoint_create(
    *, actor, name: str, url: str, event_types, at: datetime, secret: str = "", client_address=None
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its signing secret (give it to the receiver; shown once on the page)."""
    name, url = (name or "").strip(), (url or "").strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise WebhookError(gettext("the name must be printable text of 1 to 100 characters"))
    if len(url) > 500:
        raise WebhookError(gettext("the URL must be at most 500 characters"))
    try:
        resolve(url)
    except AddressRefused as error:
        raise WebhookError(str(error)) from None
    secret = secret.strip() or new_secret()
    if not secret.startswith("whsec_") or len(secret) < 30:
        raise WebhookError(
            gettext('the secret must be a Standard Webhooks secret ("whsec_" and base64)')
        )
    types = _clean_types(event_types)
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.create(
                name=name,
                url=url,
                encrypted_secret=keys.encrypt_secret(secret),
                event_types=types,
                created_at=at,
            )
            record(
                Action.WEBHOOK_CHANGED,
                Origin(actor, None, client_address, at),
                endpoint=name,
                change="added",
                url=url,
                events=types.strip(",").replace(",", ", "),
            )
    except IntegrityError:
        raise WebhookError(
            gettext("an endpoint named %(name)s exists") % {"name": repr(name)}
        ) from None
    return endpoint, secret


def endpoint_delete(*, actor, endpoint_id: int, at: datetime, client_address=None) -> str:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise WebhookError(gettext("no such endpoint"))
        name = endpoint.name
        endpoint.delete()  # its messages go with it
        record(
            Action.WEBHOOK_CHANGED,
            Origin(actor, None, client_address, at),
            endpoint=name,
            change="removed",
        )
    return name


def deliveries_replay(
    *, actor, at: datetime, message_ids=None, endpoint_id=None, client_address=None
) -> int:
    """Failed messages (those named, or all of an endpoint, or all) sent again from a first
    attempt, under their own webhook-id (a receiver that has one already drops it)."""
    failed = WebhookMessage.objects.filter(status=DeliveryStatus.FAILED)
    if message_ids is not None:
        failed = failed.filter(pk__in=list(message_ids))
    if endpoint_id is not None:
        failed = failed.filter(endpoint_id=endpoint_id)
    with transaction.atomic():
        count = failed.update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at, leased_until=None
        )
        if count:
            record(
                Action.WEBHOOK_REPLAYED, Origin(actor, None, client_address, at), deliveries=count
            )
    return count


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the base, doubled each time."""
    return timedelta(seconds=setting("PORTAL2FA_WEBHOOK_RETRY_SECONDS") * 2 ** (attempts - 1))


def claim(*, at: datetime, batch: int) -> list[WebhookMessage]:
    """Up to `batch` due messages, leased to this worker (others skip them until it ends)."""
    lease = timedelta(seconds=setting("PORTAL2FA_WEBHOOK_LEASE_SECONDS"))
    with transaction.atomic():
        due = (
            WebhookMessage.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=at)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=at))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # of=self: the joined endpoint row stays unlocked (else one worker's claim would
            # make the other skip every message of that endpoint)
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.select_related("endpoint")[:batch])
        WebhookMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
            leased_until=at + lease
        )
    return rows


@dataclass
class Outcome:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors += other.errors[:5]


def _finish(rows, answers, *, at: datetime) -> Outcome:
    outcome = Outcome()
    delivered: dict[int, list[int]] = {}
    max_attempts = setting("PORTAL2FA_WEBHOOK_MAX_ATTEMPTS")
    with transaction.atomic():
        for row, (status, error) in zip(rows, answers, strict=True):
            if status is not None and 200 <= status < 300:
                delivered.setdefault(status, []).append(row.pk)
                continue
            attempts = row.attempts + 1
            reason = error or f"HTTP {status}"
            gave_up = attempts >= max_attempts
            WebhookMessage.objects.filter(pk=row.pk).update(
                attempts=attempts,
                status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
                next_attempt_at=at if gave_up else at + backoff(attempts),
                leased_until=None,
                response_status=status,
                last_error=reason[:300],
            )
            outcome.failed += gave_up
            outcome.retrying += not gave_up
            outcome.errors.append(f"{row.endpoint.name}: {reason}")
        for status, ids in delivered.items():
            WebhookMessage.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.DELIVERED,
                attempts=F("attempts") + 1,
                delivered_at=at,
                leased_until=None,
                response_status=status,
                last_error="",
            )
            outcome.delivered += len(ids)
        metrics.add(
            {
                name: n
                for name, n in Counter(
                    {
                        "webhook_deliveries|result=delivered": outcome.delivered,
                        "webhook_deliveries|result=retrying": outcome.retrying,
                        "webhook_deliveries|result=failed": outcome.failed,
                    }
                ).items()
                if n
            }
        )
    return outcome


def deliver_batch(sender: Sender, *, now) -> Outcome | None:
    """Claim and send one batch; None when nothing is due."""
    rows = claim(at=now(), batch=setting("PORTAL2FA_WEBHOOK_BATCH"))
    if not rows:
        return None
    secrets_of: dict[int, str] = {}
    for row in rows:
        if row.endpoint_id not in secrets_of:
            secrets_of[row.endpoint_id] = endpoint_secret(row.endpoint)
    answers = sender.send_all(
        [
            {
                "url": row.endpoint.url,
                "secret": secrets_of[row.endpoint_id],
                "message_id": row.message_id,
                "payload": row.payload,
                "at": now(),
            }
            for row in rows
        ]
    )
    return _finish(rows, answers, at=now())
