"""`portal2fa role show|set` (one Security Role's whole 2FA row: requirement, due rule, snooze
limit, methods, "always require") and `portal2fa user extend` (one user's due date)."""

import dataclasses
import json
import sys
from datetime import date
from typing import Any

from .parsing import CommandError, parse_bool, parse_int
from .roles import find_role, role_json


def extend(commands, subparsers) -> None:
    role_sub, user_sub = subparsers["role"], subparsers["user"]
    show = role_sub.add_parser("show", help="one role's 2FA settings")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="machine-readable (stable keys)")
    show.set_defaults(handler=role_show)

    change = role_sub.add_parser(
        "set", help="change a role's requirement, due rule, snooze limit, methods"
    )
    change.add_argument("name")
    change.add_argument("--require", metavar="true|false", help="users of the role must use 2FA")
    when = change.add_mutually_exclusive_group()
    when.add_argument(
        "--next-signin", action="store_true", help="enroll at the next sign-in (the default)"
    )
    when.add_argument("--by", metavar="YYYY-MM-DD", help="enrolled by the end of this day")
    when.add_argument("--within", metavar="DAYS", help="enrolled within DAYS of the requirement")
    change.add_argument(
        "--snooze-limit", metavar="N|none", help='"Remind me later" at most N times'
    )
    change.add_argument(
        "--methods", metavar="LIST|none", help="optional methods that count: email,passkey,sms"
    )
    change.add_argument(
        "--always", metavar="true|false", help="a trusted browser never skips the second factor"
    )
    change.set_defaults(handler=role_set)

    extension = user_sub.add_parser("extend", help="give one user more time to enroll")
    extension.add_argument("email")
    amount = extension.add_mutually_exclusive_group(required=True)
    amount.add_argument("--days", metavar="N", help="N days more (from today if overdue)")
    amount.add_argument("--until", metavar="YYYY-MM-DD", help="until the end of this day")
    extension.add_argument("--reason", required=True, help="why (kept in the audit log)")
    extension.set_defaults(handler=user_extend)


def role_show(args) -> int:
    role = find_role(args.name)
    if args.json:
        json.dump(role_json(role), sys.stdout, indent=2)
        print()
        return 0
    print(f"{'name':<22} {role.name}")
    print(f"{'type':<22} {role.type}")
    print(f"{'require-2fa':<22} {'true' if role.requires_2fa else 'false'}")
    print(f"{'due':<22} {role.deadline.describe()}")
    print(f"{'methods':<22} {', '.join(['totp', *role.methods])}")
    print(f"{'always':<22} {'true' if role.always_second_factor else 'false'}")
    return 0


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _rule(args, current):
    from ..core.deadlines import BY_DATE, NEXT_SIGNIN, WITHIN_DAYS

    rule = current
    if args.next_signin:
        rule = dataclasses.replace(rule, kind=NEXT_SIGNIN)
    elif args.by is not None:
        rule = dataclasses.replace(rule, kind=BY_DATE, by=_parse_date(args.by))
    elif args.within is not None:
        rule = dataclasses.replace(rule, kind=WITHIN_DAYS, days=parse_int(args.within))
    if args.snooze_limit is not None:
        text = args.snooze_limit.strip().lower()
        limit = None if text == "none" else parse_int(text)
        rule = dataclasses.replace(rule, snooze_limit=limit)
    return rule


def _methods(text: str) -> list[str]:
    from ..core.methods import OPTIONAL

    names = [] if text.strip().lower() == "none" else [m.strip() for m in text.split(",")]
    unknown = [name for name in names if name not in OPTIONAL]
    if unknown:
        raise CommandError(f"methods are {', '.join(OPTIONAL)} or none, got {', '.join(unknown)}")
    return names


def role_set(args) -> int:
    from django.utils import timezone

    from ..services.settings import SettingsError, settings_update

    role = find_role(args.name)
    options: dict[str, Any] = {}
    if args.require is not None:
        options["role_requirements"] = {role.id: parse_bool(args.require)}
    rule = _rule(args, role.deadline)
    if rule != role.deadline:
        options["role_deadlines"] = {role.id: rule}
    if args.methods is not None:
        options["role_methods"] = {role.id: _methods(args.methods)}
    if args.always is not None:
        options["role_always_second_factor"] = {role.id: parse_bool(args.always)}
    try:
        changed = settings_update(actor=None, changes={}, at=timezone.now(), **options)
    except SettingsError as error:
        messages = " ".join(str(m) for msgs in error.errors.values() for m in msgs)
        raise CommandError(f"{role.name}: {messages}") from None
    if not changed:
        print(f"{role.name}: unchanged.")
    for name, (old, new) in changed.items():
        print(f"{name}: {old} -> {new}")
    return 0


def user_extend(args) -> int:
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..machinery.local_days import local_day
    from ..services.deadlines import DeadlineError, deadline_extend

    adapter = get_adapter()
    user = adapter.find_user(args.email)
    if user is None:
        raise CommandError(f"no user {args.email!r}")
    days = parse_int(args.days) if args.days is not None else None
    until = _parse_date(args.until) if args.until is not None else None
    try:
        row = deadline_extend(
            actor=None, user=user, days=days, until=until, reason=args.reason, at=timezone.now()
        )
    except DeadlineError as error:
        raise CommandError(str(error)) from None
    print(
        f"{adapter.display_name(user)} <{adapter.email(user)}> is now due {local_day(row.due_at)}."
    )
    return 0
