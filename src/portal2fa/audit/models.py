"""The audit trail: who did what to whom, when and from where. Append-only by convention."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # The stored codes (first) never change; the labels are shown in the reader's language.
    SIGNIN_PASSWORD_FAILED = "signin.password_failed", _("Password sign-in failed")
    SIGNIN_SUCCEEDED = "signin.succeeded", _("Sign-in succeeded")
    SECOND_FACTOR_FAILED = "2fa.failed", _("Second factor failed")
    SECOND_FACTOR_LOCKOUT = "2fa.lockout", _("Second factor locked out")
    CODE_DELAY = "2fa.code_delay", _("Code attempts delayed")
    CODE_LOCKED = "2fa.code_locked", _("Second factor locked by invalid codes")
    CODE_UNLOCKED = "2fa.code_unlocked", _("Second factor unlocked")
    BACKUP_CODE_USED = "2fa.backup_code_used", _("Backup code used")
    ENROLLMENT_STARTED = "2fa.enrollment_started", _("Enrollment started")
    ENROLLMENT_COMPLETED = "2fa.enrollment_completed", _("Enrollment completed")
    ENROLLMENT_SKIPPED = "2fa.enrollment_skipped", _("Enrollment skipped")
    BACKUP_CODES_REGENERATED = "2fa.backup_codes_regenerated", _("Backup codes regenerated")
    ENROLLMENT_RESET = "2fa.enrollment_reset", _("Enrollment reset")
    SETTINGS_CHANGED = "settings.changed", _("Settings changed")
    ROLE_CHANGED = "role.changed", _("Security Role changed")
    USER_CHANGED = "user.changed", _("User changed")
    PASSWORD_CHANGED = "user.password_changed", _("Password changed")
    PASSKEY_ADDED = "2fa.passkey_added", _("Passkey added")
    PASSKEY_RENAMED = "2fa.passkey_renamed", _("Passkey renamed")
    PASSKEY_REMOVED = "2fa.passkey_removed", _("Passkey removed")
    PASSKEY_CLONE_REFUSED = "2fa.passkey_clone_refused", _("Passkey refused as cloned")
    TRUSTED_BROWSER_ADDED = "2fa.trusted_browser_added", _("Browser trusted")
    TRUSTED_BROWSER_USED = "2fa.trusted_browser_used", _("Sign-in from a trusted browser")
    TRUSTED_BROWSER_REVOKED = "2fa.trusted_browser_revoked", _("Trusted browser revoked")
    APP_ADDED = "2fa.app_added", _("Authenticator app added")
    SIGNED_OUT_EVERYWHERE = "user.signed_out_everywhere", _("Signed out everywhere")
    ACCESS_PASS_ISSUED = "2fa.access_pass_issued", _("Temporary Access Pass issued")
    ACCESS_PASS_USED = "2fa.access_pass_used", _("Temporary Access Pass used")
    ACCESS_PASS_EXPIRED = "2fa.access_pass_expired", _("Temporary Access Pass expired")
    ACCESS_PASS_REVOKED = "2fa.access_pass_revoked", _("Temporary Access Pass revoked")
    ENROLLMENT_SNOOZED = "2fa.enrollment_snoozed", _("Enrollment postponed (Remind me later)")
    DEADLINE_EXTENDED = "2fa.deadline_extended", _("Enrollment due date extended")
    REMINDER_SENT = "2fa.reminder_sent", _("Enrollment reminder sent")
    API_TOKEN_CREATED = "api.token_created", _("API token created")
    API_TOKEN_REVOKED = "api.token_revoked", _("API token revoked")
    API_CALL = "api.call", _("API call")
    WEBHOOK_CHANGED = "webhook.changed", _("Webhook endpoint changed")
    WEBHOOK_REPLAYED = "webhook.replayed", _("Webhook deliveries replayed")
    CODE_SEND_REFUSED = "2fa.code_send_refused", _("Code send refused")


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


# The names of the details the pages show in the reader's language (the stored keys stay English);
# a key not listed here reads as itself, its underscores as spaces.
DETAIL_NAMES = {
    "changes": _("changes"),
    "change": _("change"),
    "reason": _("reason"),
    "role": _("role"),
    "name": _("name"),
    "factor": _("factor"),
    "second_factor": _("second factor"),
    "method": _("method"),
    "token": _("token"),
    "endpoint": _("endpoint"),
    "count": _("count"),
    "browser": _("browser"),
    "channel": _("channel"),
    "consecutive_failures": _("consecutive failures"),
    "used_backup_code": _("used backup code"),
    "trusted_browsers_revoked": _("trusted browsers revoked"),
    "previous_state": _("previous state"),
    "expires_at": _("expires at"),
    "expired_at": _("expired at"),
    "expires": _("expires"),
    "locked_since": _("locked since"),
    "minutes": _("minutes"),
    "days": _("days"),
    "due": _("due"),
    "scopes": _("scopes"),
    "events": _("events"),
    "deliveries": _("deliveries"),
    "delay_seconds": _("delay seconds"),
    "purpose": _("purpose"),
    "url": _("URL"),
}


def _detail_name(key: str) -> str:
    return str(DETAIL_NAMES.get(key) or key.replace("_", " "))


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
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"  # logs and shells: not translated

    @property
    def actor_token_label(self) -> str:
        if not self.actor_token:
            return ""
        return gettext("API token %(name)s") % {"name": self.actor_token}

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
                parts.append(
                    gettext("%(name)s: %(value)s") % {"name": _detail_name(key), "value": value}
                )
        return "; ".join(parts)
