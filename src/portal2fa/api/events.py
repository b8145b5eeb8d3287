"""The audited events as security events: a stable type name, and one JSON body shared by the
webhooks, the SIEM log lines and the host's signal receivers. No secret or code is ever in an
audit event's detail, so none is in a security event."""

import json
import logging

from ..audit.models import Action

# Types named by what happened to whom; an action without an entry keeps its own value.
EVENT_TYPES: dict[str, str] = {
    Action.SIGNIN_PASSWORD_FAILED: "signin.password_failed",
    Action.SIGNIN_SUCCEEDED: "signin.succeeded",
    Action.SECOND_FACTOR_FAILED: "verification.failed",
    Action.SECOND_FACTOR_LOCKOUT: "verification.lockout",
    Action.CODE_DELAY: "verification.delayed",
    Action.CODE_LOCKED: "verification.locked",
    Action.CODE_UNLOCKED: "verification.unlocked",
    Action.BACKUP_CODE_USED: "backup_code.used",
    Action.ENROLLMENT_STARTED: "enrollment.started",
    Action.ENROLLMENT_COMPLETED: "enrollment.completed",
    Action.ENROLLMENT_SKIPPED: "enrollment.skipped",
    Action.BACKUP_CODES_REGENERATED: "backup_codes.regenerated",
    Action.ENROLLMENT_RESET: "enrollment.reset",
    Action.SETTINGS_CHANGED: "settings.changed",
    Action.ROLE_CHANGED: "role.changed",
    Action.USER_CHANGED: "user.changed",
    Action.PASSWORD_CHANGED: "user.password_changed",
    Action.PASSKEY_ADDED: "passkey.added",
    Action.PASSKEY_RENAMED: "passkey.renamed",
    Action.PASSKEY_REMOVED: "passkey.removed",
    Action.PASSKEY_CLONE_REFUSED: "passkey.clone_refused",
    Action.TRUSTED_BROWSER_ADDED: "trusted_browser.added",
    Action.TRUSTED_BROWSER_USED: "trusted_browser.used",
    Action.TRUSTED_BROWSER_REVOKED: "trusted_browser.revoked",
    Action.APP_ADDED: "authenticator_app.added",
    Action.SIGNED_OUT_EVERYWHERE: "user.signed_out_everywhere",
    Action.ACCESS_PASS_ISSUED: "access_pass.issued",
    Action.ACCESS_PASS_USED: "access_pass.used",
    Action.ACCESS_PASS_EXPIRED: "access_pass.expired",
    Action.ACCESS_PASS_REVOKED: "access_pass.revoked",
    Action.ENROLLMENT_SNOOZED: "enrollment.snoozed",
    Action.DEADLINE_EXTENDED: "due_date.extended",
    Action.REMINDER_SENT: "reminder.sent",
    Action.API_TOKEN_CREATED: "api_token.created",
    Action.API_TOKEN_REVOKED: "api_token.revoked",
    Action.API_CALL: "api.call",
    Action.WEBHOOK_CHANGED: "webhook.changed",
    Action.WEBHOOK_REPLAYED: "webhook.replayed",
}
# Every read through the API is audited; sent to a webhook only when it asks for it by name.
NOT_IN_ALL = {"api.call"}

log = logging.getLogger("portal2fa.events")


def event_type(action: str) -> str:
    return EVENT_TYPES.get(action, action)


def all_event_types() -> list[str]:
    return sorted({event_type(action) for action in Action.values})


def _party(user) -> dict | None:
    if user is None:
        return None
    from ..twofactor.adapter import get_adapter

    adapter = get_adapter()
    pk = user.pk if isinstance(user.pk, int) else str(user.pk)
    return {"id": pk, "email": adapter.email(user), "name": adapter.display_name(user)}


def body(event) -> dict:
    """The Standard Webhooks body: type, timestamp, data."""
    actor = _party(event.actor)
    if event.actor_token:
        actor = {"api_token": event.actor_token}
    return {
        "type": event_type(event.action),
        "timestamp": event.at.isoformat().replace("+00:00", "Z"),
        "data": {
            "audit_event_id": event.pk,
            "action": event.action,
            "actor": actor,
            "target": _party(event.target),
            "client_address": event.client_address,
            "detail": event.detail,
        },
    }


def to_json(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


def log_committed_event(sender, event, **kwargs) -> None:
    """One JSON line per committed event on the "portal2fa.events" logger (for a SIEM: give the
    logger a handler of its own, README "Security events")."""
    log.info(to_json(body(event)))
