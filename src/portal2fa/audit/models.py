"""The audit trail: who did what to whom, when and from where. Append-only by convention."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    SIGNIN_PASSWORD_FAILED = "signin.password_failed", "Password sign-in failed"
    SIGNIN_SUCCEEDED = "signin.succeeded", "Sign-in succeeded"
    SECOND_FACTOR_FAILED = "2fa.failed", "Second factor failed"
    SECOND_FACTOR_LOCKOUT = "2fa.lockout", "Second factor locked out"
    CODE_DELAY = "2fa.code_delay", "Code attempts delayed"
    CODE_LOCKED = "2fa.code_locked", "Second factor locked by invalid codes"
    CODE_UNLOCKED = "2fa.code_unlocked", "Second factor unlocked"
    BACKUP_CODE_USED = "2fa.backup_code_used", "Backup code used"
    ENROLLMENT_STARTED = "2fa.enrollment_started", "Enrollment started"
    ENROLLMENT_COMPLETED = "2fa.enrollment_completed", "Enrollment completed"
    ENROLLMENT_SKIPPED = "2fa.enrollment_skipped", "Enrollment skipped"
    BACKUP_CODES_REGENERATED = "2fa.backup_codes_regenerated", "Backup codes regenerated"
    ENROLLMENT_RESET = "2fa.enrollment_reset", "Enrollment reset"
    SETTINGS_CHANGED = "settings.changed", "Settings changed"
    ROLE_CHANGED = "role.changed", "Security Role changed"
    USER_CHANGED = "user.changed", "User changed"
    PASSWORD_CHANGED = "user.password_changed", "Password changed"
    PASSKEY_ADDED = "2fa.passkey_added", "Passkey added"
    PASSKEY_RENAMED = "2fa.passkey_renamed", "Passkey renamed"
    PASSKEY_REMOVED = "2fa.passkey_removed", "Passkey removed"
    PASSKEY_CLONE_REFUSED = "2fa.passkey_clone_refused", "Passkey refused as cloned"
    TRUSTED_BROWSER_ADDED = "2fa.trusted_browser_added", "Browser trusted"
    TRUSTED_BROWSER_USED = "2fa.trusted_browser_used", "Sign-in from a trusted browser"
    TRUSTED_BROWSER_REVOKED = "2fa.trusted_browser_revoked", "Trusted browser revoked"
    APP_ADDED = "2fa.app_added", "Authenticator app added"
    SIGNED_OUT_EVERYWHERE = "user.signed_out_everywhere", "Signed out everywhere"
    ACCESS_PASS_ISSUED = "2fa.access_pass_issued", "Temporary Access Pass issued"
    ACCESS_PASS_USED = "2fa.access_pass_used", "Temporary Access Pass used"
    ACCESS_PASS_EXPIRED = "2fa.access_pass_expired", "Temporary Access Pass expired"
    ACCESS_PASS_REVOKED = "2fa.access_pass_revoked", "Temporary Access Pass revoked"
    ENROLLMENT_SNOOZED = "2fa.enrollment_snoozed", "Enrollment postponed (Remind me later)"
    DEADLINE_EXTENDED = "2fa.deadline_extended", "Enrollment due date extended"
    REMINDER_SENT = "2fa.reminder_sent", "Enrollment reminder sent"
    API_TOKEN_CREATED = "api.token_created", "API token created"
    API_TOKEN_REVOKED = "api.token_revoked", "API token revoked"
    API_CALL = "api.call", "API call"
    WEBHOOK_CHANGED = "webhook.changed", "Webhook endpoint changed"
    WEBHOOK_REPLAYED = "webhook.replayed", "Webhook deliveries replayed"
    CODE_SEND_REFUSED = "2fa.code_send_refused", "Code send refused"


# How the names and values of an action's "changes" read on the pages, registered by the app that
# records them (the audit trail knows no app above it): {action: labels(name) -> (the name's
# label, {stored value: its label}) or None}. The stored detail keeps the raw values.
CHANGE_LABELS: dict[str, Callable[[str], tuple[str, dict[Any, str]] | None]] = {}


def _change_text(action: str, name: str, old, new) -> str:
    found = CHANGE_LABELS[action](name) if action in CHANGE_LABELS else None
    if found is None:
        return f"{name} {old} -> {new}"
    title, values = found

    def label(value):
        return values.get(value, value) if isinstance(value, bool | str) else value

    return f"{title} {label(old)} -> {label(new)}"


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An admin API call: the name of the token it ran under (then actor is empty).
    actor_token = models.CharField(max_length=100, blank=True, default="")
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # Never a secret or a code: names, counts, old -> new setting values, reasons.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target", "-at"], name="audit_target_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    @property
    def actor_token_label(self) -> str:
        return f"API token {self.actor_token}" if self.actor_token else ""

    @property
    def detail_text(self) -> str:
        """The detail as one readable line: 'changes: max_invalid_attempts 5 -> 3; reason: lost phone'."""
        parts = []
        for key, value in sorted(self.detail.items()):
            if key == "changes" and isinstance(value, dict):
                value = ", ".join(
                    _change_text(self.action, name, old, new) for name, (old, new) in value.items()
                )
            if value not in ("", None):
                parts.append(f"{key.replace('_', ' ')}: {value}")
        return "; ".join(parts)
