"""Signed security events: the outbox row commits with its audit event, `portal2fa deliver`
sends it signed per Standard Webhooks (verified here with the `standardwebhooks` package) to a
real local receiver, retries with exponential backoff, keeps it as failed, replays it; internal
addresses are refused; the same events go to a JSON log and a signal."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from portal2fa.api.models import DeliveryStatus, WebhookMessage
from portal2fa.api.services.webhooks import endpoint_create
from portal2fa.audit.models import Action
from portal2fa.audit.services import Origin, record
from portal2fa.audit.signals import event_committed
from portal2fa.twofactor.services.enrollment import enrollment_reset


def add_endpoint(url, *types, name="siem"):
    return endpoint_create(
        actor=None, name=name, url=url, event_types=list(types), at=timezone.now()
    )


def deliver(capsys=None):
    call_command("portal2fa", "deliver")


def verified(receiver, secret) -> list[dict]:
    """Every body the receiver got, each verified against its signature headers."""
    hook = Webhook(secret)
    return [hook.verify(body, headers) for headers, body in receiver.received]


def test_a_reset_reaches_the_receiver_signed(receiver, enrolled):
    endpoint, secret = add_endpoint(receiver.url, "enrollment.reset")
    enrollment_reset(actor=None, user=enrolled.user, at=timezone.now(), reason="lost phone")
    deliver()
    (payload,) = verified(receiver, secret)
    assert payload["type"] == "enrollment.reset"
    assert payload["data"]["target"]["email"] == enrolled.user.email
    assert payload["data"]["detail"]["reason"] == "lost phone"
    headers, _ = receiver.received[0]
    assert headers["webhook-id"].startswith("msg_")
    assert WebhookMessage.objects.get().status == DeliveryStatus.DELIVERED
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook("whsec_" + "A" * 32).verify(receiver.received[0][1], headers)


def test_only_the_subscribed_types_are_queued_and_every_type_by_default(receiver, enrolled):
    add_endpoint(receiver.url, "enrollment.reset", name="resets")
    add_endpoint(receiver.url, name="everything")
    WebhookMessage.objects.all().delete()  # the endpoints' own "webhook.changed" events
    record(Action.SIGNIN_PASSWORD_FAILED, Origin(None, enrolled.user, None, None))
    queued = sorted(WebhookMessage.objects.values_list("endpoint__name", "event_type"))
    assert queued == [("everything", "signin.password_failed")]


def test_an_event_that_rolls_back_is_never_queued(receiver, enrolled):
    add_endpoint(receiver.url, "signin.password_failed")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.SIGNIN_PASSWORD_FAILED, Origin(None, enrolled.user, None, None))
        assert WebhookMessage.objects.count() == 1  # in the event's own transaction
        raise RuntimeError("the service failed after recording")
    assert WebhookMessage.objects.count() == 0


def test_a_dead_receiver_is_retried_with_backoff_then_failed_then_replayed(
    receiver, enrolled, settings
):
    settings.PORTAL2FA_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PORTAL2FA_WEBHOOK_RETRY_SECONDS = 30
    _, secret = add_endpoint(receiver.url, "enrollment.reset")
    receiver.status = 503
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        enrollment_reset(actor=None, user=enrolled.user, at=start)
        deliver()
        message = WebhookMessage.objects.get()
        assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 1)
        assert message.next_attempt_at == start + timedelta(seconds=30)
        assert message.last_error == "HTTP 503"
        deliver()  # not due yet: nothing sent
        assert len(receiver.received) == 1
        clock.shift(timedelta(seconds=30))
        deliver()
        message.refresh_from_db()
        assert message.attempts == 2
        assert message.next_attempt_at == start + timedelta(seconds=30 + 60)  # doubled
        clock.shift(timedelta(seconds=60))
        deliver()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (DeliveryStatus.FAILED, 3)
        clock.shift(timedelta(days=1))
        deliver()
        assert len(receiver.received) == 3  # kept as failed: no more attempts
        receiver.status = 200
        call_command("portal2fa", "webhook", "replay")
        deliver()
        headers, body = receiver.received[-1]
        replayed = Webhook(secret).verify(body, headers)  # within 5 minutes of its signing
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert len(receiver.received) == 4 and ids == {message.message_id}  # one id for every try
    assert replayed["type"] == "enrollment.reset"


def test_a_receiver_that_is_down_is_a_retry_not_a_crash(enrolled, settings):
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = True
    add_endpoint("http://127.0.0.1:9/nothing-listens-here", "signin.password_failed")
    record(Action.SIGNIN_PASSWORD_FAILED, Origin(None, enrolled.user, None, None))
    deliver()
    message = WebhookMessage.objects.get()
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert "Error" in message.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_internal_addresses_are_refused(url, db):
    from portal2fa.api.services.webhooks import WebhookError

    with pytest.raises(WebhookError):
        add_endpoint(url)


def test_an_address_allowed_when_saved_is_checked_again_at_delivery(receiver, enrolled, settings):
    add_endpoint(receiver.url, "signin.password_failed")
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = False
    record(Action.SIGNIN_PASSWORD_FAILED, Origin(None, enrolled.user, None, None))
    deliver()
    assert receiver.received == []
    assert "loopback" in WebhookMessage.objects.get().last_error


def test_committed_events_go_to_the_json_log_and_the_signal(
    enrolled, caplog, django_capture_on_commit_callbacks
):
    got = []

    def receiver(sender, event, **kwargs):
        got.append(event.action)

    event_committed.connect(receiver)
    try:
        with caplog.at_level("INFO", logger="portal2fa.events"):
            with django_capture_on_commit_callbacks(execute=True):
                enrollment_reset(actor=None, user=enrolled.user, at=timezone.now())
    finally:
        event_committed.disconnect(receiver)
    assert got == [Action.ENROLLMENT_RESET]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal2fa.events"]
    assert [line["type"] for line in lines] == ["enrollment.reset"]
    assert lines[0]["data"]["target"]["email"] == enrolled.user.email


def test_the_cli_adds_lists_and_refuses(receiver, db, capsys):
    call_command("portal2fa", "webhook", "add", "siem", receiver.url, "--event", "enrollment.reset")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("whsec_")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("portal2fa", "webhook", "add", "x", receiver.url, "--event", "no.such")
    call_command("portal2fa", "webhook", "list")
    assert "enrollment.reset" in capsys.readouterr().out
