"""Argument parsing helpers shared by the CLI commands."""

from collections.abc import Callable


class CommandError(Exception):
    """Refused: one clear line for stderr, nothing changed."""


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "on", "yes", "1"}:
        return True
    if lowered in {"false", "off", "no", "0"}:
        return False
    raise CommandError(f"expected true or false, got {text!r}")


def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CommandError(f"expected a whole number, got {text!r}") from None


def parse_enrollment(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in {"required", "optional"}:
        raise CommandError(f"enrollment is 'required' or 'optional', got {text!r}")
    return lowered == "required"


ENFORCEMENT_NAMES = {"every-signin": "every_signin", "unrecognized-devices": "unrecognized_devices"}


def parse_enforcement(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ENFORCEMENT_NAMES:
        raise CommandError(f"enforcement is 'every-signin' or 'unrecognized-devices', got {text!r}")
    return ENFORCEMENT_NAMES[lowered]


def parse_reminder_days(text: str) -> list[int]:
    from ..core.reminders import parse_days

    try:
        return parse_days(text)
    except ValueError as error:
        raise CommandError(f"reminder-days: {error}") from None


# CLI name -> (model field, parser)
SETTINGS_KEYS: dict[str, tuple[str, Callable[[str], object]]] = {
    "enabled": ("enabled", parse_bool),
    "enrollment": ("enrollment_required", parse_enrollment),
    "max-invalid-attempts": ("max_invalid_attempts", parse_int),
    "clock-skew-steps": ("clock_skew_steps", parse_int),
    "backup-codes-per-set": ("backup_codes_per_set", parse_int),
    "low-codes-threshold": ("low_codes_threshold", parse_int),
    "issuer-name": ("issuer_name", str),
    "email-codes": ("email_codes_allowed", parse_bool),
    "passkeys": ("passkeys_allowed", parse_bool),
    "sms-codes": ("sms_codes_allowed", parse_bool),
    "enforcement": ("enforcement", parse_enforcement),
    "trust-days": ("trust_days", parse_int),
    "reset-needs-access-pass": ("reset_needs_access_pass", parse_bool),
    "reminder-days": ("reminder_days", parse_reminder_days),
}
