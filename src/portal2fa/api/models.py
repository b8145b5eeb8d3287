"""API tokens, webhook endpoints, the webhook outbox and the metric counters."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Scope(models.TextChoices):
    READ = "read", _("Read users, the Overview and the settings")
    RESET = "reset", _("Reset and unlock users")
    PASSES = "passes", _("Issue and revoke Temporary Access Passes")
    SETTINGS = "settings", _("Change the settings and the role policy")
    AUDIT = "audit", _("Read the audit log")


class ApiToken(models.Model):
    """A bearer token for the admin API. Only its keyed hash is kept (keys.token_digest); the
    token itself is shown once, when created."""

    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)  # the token's first characters, to recognise it
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(revoked_at__isnull=True), name="api_token_live_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def live(self, at) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class WebhookEndpoint(models.Model):
    """A receiver of signed security events. The signing secret is encrypted (machinery/keys.py): it must
    be read to sign, so it cannot be hashed."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    encrypted_secret = models.TextField()
    # "*" for every event type, else ",type,type," (so one LIKE finds the subscribers of a type
    # in the INSERT that writes the outbox rows).
    event_types = models.CharField(max_length=2000, default="*")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def types(self) -> list[str]:
        return [] if self.event_types == "*" else [t for t in self.event_types.split(",") if t]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")


class WebhookMessage(models.Model):
    """The outbox: one row per (event, subscribed endpoint), written in the event's transaction
    and sent by `portal2fa deliver`. Retries keep message_id (the receiver's key to deduplicate)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=60)
    payload = models.TextField()  # the JSON body, fixed when the event happened
    created_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_due_idx",
            ),
            models.Index(fields=["-id"], condition=Q(status="failed"), name="webhook_failed_idx"),
        ]


class MetricCounter(models.Model):
    """A Prometheus counter kept in the database, so every worker, the CLI and `deliver` add to
    one value and /metrics reads the same from any process. Sharded as the Overview counters."""

    name = models.CharField(max_length=200)
    shard = models.PositiveSmallIntegerField(default=0)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "shard"], name="metric_counter_shard")
        ]


class ApiCallWindow(models.Model):
    """Calls of one token in one clock minute: the API's rate limit, one atomic upsert per call
    in the database (so every worker and node counts into the same row)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "minute"], name="api_call_window_minute")
        ]
