"""Two `deliver` workers at once on PostgreSQL share the outbox (SELECT … FOR UPDATE SKIP
LOCKED): every message reaches the receiver, none twice."""

from collections import Counter

import pytest
from django.utils import timezone

from portal2fa.api.delivery import Sender
from portal2fa.api.models import DeliveryStatus, WebhookMessage
from portal2fa.api.services.webhooks import Outcome, deliver_batch, endpoint_create
from portal2fa.audit.models import Action
from portal2fa.audit.services import record

from ..services.test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def drain():
    sender, total = Sender(), Outcome()
    while (outcome := deliver_batch(sender, now=timezone.now)) is not None:
        total.add(outcome)
    sender.close()
    return total


def test_two_workers_deliver_every_message_once(receiver, settings):
    settings.PORTAL2FA_WEBHOOK_BATCH = 20
    settings.PORTAL2FA_WEBHOOK_RETRY_SECONDS = 0  # a refused connection is retried in the run
    endpoint_create(
        actor=None,
        name="siem",
        url=receiver.url,
        event_types=["signin.password_failed"],
        at=timezone.now(),
    )
    for n in range(400):
        record(Action.SIGNIN_PASSWORD_FAILED, attempt=n)
    outcomes = run_together([drain, drain])
    assert sum(o.delivered for o in outcomes) == 400
    assert all(o.delivered > 0 for o in outcomes)  # both took a share
    ids = Counter(headers["webhook-id"] for headers, _ in receiver.received)
    assert len(ids) == 400 and set(ids.values()) == {1}
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }
