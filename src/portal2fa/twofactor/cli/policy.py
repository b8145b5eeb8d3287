"""`portal2fa settings show|set`."""

import sys
from typing import Any

from .parsing import SETTINGS_KEYS, CommandError


def register(commands) -> None:
    settings = commands.add_parser("settings", help="show or change the 2FA settings")
    sub = settings.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="print every setting")
    show.add_argument("--json", action="store_true", help="with each role's row (stable keys)")
    show.set_defaults(handler=settings_show)
    change = sub.add_parser("set", help="change one setting")
    change.add_argument("key", choices=sorted(SETTINGS_KEYS))
    change.add_argument("value")
    change.set_defaults(handler=settings_set)


def settings_show(args) -> int:
    from ..adapter import get_adapter
    from ..core.reminders import format_days
    from ..machinery.policy import current_policy, issuer

    policy = current_policy()
    values = {
        "enabled": "true" if policy.enabled else "false",
        "enrollment": "required" if policy.enrollment_required else "optional",
        "max-invalid-attempts": policy.max_invalid_attempts,
        "clock-skew-steps": policy.clock_skew_steps,
        "backup-codes-per-set": policy.backup_codes_per_set,
        "low-codes-threshold": policy.low_codes_threshold,
        "issuer-name": issuer(policy),
        "email-codes": "true" if policy.email_codes_allowed else "false",
        "passkeys": "true" if policy.passkeys_allowed else "false",
        "sms-codes": "true" if policy.sms_codes_allowed else "false",
        "enforcement": policy.enforcement.replace("_", "-"),
        "trust-days": policy.trust_days,
        "reset-needs-access-pass": "true" if policy.reset_needs_access_pass else "false",
        "reminder-days": format_days(policy.reminder_days) or "(none)",
    }
    if getattr(args, "json", False):
        import json

        from .roles import role_json

        roles: list[Any] = [role_json(role) for role in get_adapter().roles()]
        json.dump({"settings": values, "roles": roles}, sys.stdout, indent=2)
        print()
        return 0
    for key, value in values.items():
        print(f"{key:<22} {value}")
    roles = [role.name for role in get_adapter().roles() if role.requires_2fa]
    print(f"{'roles-requiring-2fa':<22} {', '.join(roles) or '(none)'}")
    for method in ("email", "passkey", "sms"):  # the optional methods each role lets count
        counted = [role.name for role in get_adapter().roles() if method in role.methods]
        print(f"{'roles-allowing-' + method:<22} {', '.join(counted) or '(none)'}")
    return 0


def settings_set(args) -> int:
    from django.utils import timezone

    from ..services.settings import SettingsError, settings_update, stranded_passkey_users

    field, parse = SETTINGS_KEYS[args.key]
    try:
        changed = settings_update(actor=None, changes={field: parse(args.value)}, at=timezone.now())
    except SettingsError as error:
        messages = " ".join(str(m) for msgs in error.errors.values() for m in msgs)
        raise CommandError(f"{args.key}: {messages}") from None
    print(f"{args.key} = {args.value}" if changed else f"{args.key} was already {args.value}.")
    if warning := stranded_passkey_users(changed):
        print(f"warning: {warning}", file=sys.stderr)
    return 0
