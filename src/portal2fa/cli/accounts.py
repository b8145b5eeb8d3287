"""`portal2fa role ...` and `portal2fa user ...`."""

import sys

from .parsing import CommandError

ROLE_TYPES = ("System", "Employee", "Partner", "Customer")


def register(commands) -> None:
    role = commands.add_parser("role", help="manage Security Roles")
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    add = role_sub.add_parser("add", help="create a Security Role")
    add.add_argument("name")
    add.add_argument("--type", required=True, choices=ROLE_TYPES)
    add.add_argument("--require-2fa", action="store_true", help="users of this role must use 2FA")
    add.set_defaults(handler=role_add)
    role_sub.add_parser("list", help="list Security Roles").set_defaults(handler=role_list)
    require = role_sub.add_parser("require-2fa", help="whether users of a role must use 2FA")
    require.add_argument("name")
    require.add_argument("required", metavar="true|false")
    require.set_defaults(handler=role_require_2fa)

    user = commands.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("email")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument("--role", required=True, help="Security Role name")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else the user cannot sign in yet)",
    )
    add.add_argument("--inactive", action="store_true")
    add.set_defaults(handler=user_add)
    change = user_sub.add_parser("set", help="change a user's name, email, role or active flag")
    change.add_argument("email")
    change.add_argument("--name", help="new full name")
    change.add_argument("--new-email", help="new email (the sign-in name)")
    change.add_argument("--role", help="new Security Role name")
    change.add_argument(
        "--password-stdin", action="store_true", help="read a new password from stdin"
    )
    active = change.add_mutually_exclusive_group()
    active.add_argument("--active", dest="active", action="store_true", default=None)
    active.add_argument("--inactive", dest="active", action="store_false")
    change.set_defaults(handler=user_set)
    listing = user_sub.add_parser("list", help="list users with their 2FA state")
    listing.add_argument("--search", default="", help="part of a name or email")
    listing.add_argument("--limit", type=int, default=1000)
    listing.set_defaults(handler=user_list)


def _now():
    from django.utils import timezone

    return timezone.now()


def role_add(args) -> int:
    from ..accounts.services import AccountError, role_create

    try:
        role = role_create(
            actor=None, name=args.name, type=args.type, requires_2fa=args.require_2fa, at=_now()
        )
    except AccountError as error:
        raise CommandError(str(error)) from None
    print(f"Created role {role.name} ({role.type}){' requiring 2FA' if role.requires_2fa else ''}.")
    return 0


def role_list(args) -> int:
    from ..accounts.models import SecurityRole

    print(f"{'Role Name':<30} {'Type':<10} 2FA")
    for role in SecurityRole.objects.all():
        print(
            f"{role.name:<30} {role.type:<10} {'required' if role.requires_2fa else 'not required'}"
        )
    return 0


def find_role(name: str):
    from ..accounts.models import SecurityRole

    role = SecurityRole.objects.filter(name__iexact=name.strip()).first()
    if role is None:
        raise CommandError(f"no Security Role named {name!r} (see 'portal2fa role list')")
    return role


def user_add(args) -> int:
    from ..accounts.services import AccountError, user_create

    role = find_role(args.role)
    password = _read_password() if args.password_stdin else None
    try:
        user = user_create(
            actor=None,
            email=args.email,
            full_name=args.name,
            role=role,
            password=password,
            is_active=not args.inactive,
            at=_now(),
        )
    except AccountError as error:
        raise CommandError(str(error)) from None
    print(f"Created user {user.email} ({role.name}){'' if user.is_active else ', inactive'}.")
    return 0


def user_list(args) -> int:
    from ..accounts.selectors import users_with_state

    print(f"{'Email':<40} {'Name':<30} {'Role':<20} {'Active':<6} 2FA")
    for row in users_with_state(search=args.search)[: max(args.limit, 0)]:
        print(
            f"{row.email:<40} {row.full_name:<30} {row.role.name:<20} {'yes' if row.is_active else 'no':<6} {row.state_label}"
        )
    return 0


def role_require_2fa(args) -> int:
    from ..twofactor.services.settings import settings_update
    from .parsing import parse_bool

    role, required = find_role(args.name), parse_bool(args.required)
    changed = settings_update(
        actor=None, changes={}, at=_now(), role_requirements={role.pk: required}
    )
    state = "requires" if required else "does not require"
    print(f"{role.name} {state} 2FA{'' if changed else ' (unchanged)'}.")
    return 0


def user_set(args) -> int:
    from ..accounts.models import User
    from ..accounts.services import (
        AccountError,
        user_set_password,
        user_update,
        validate_new_password,
    )

    user = User.objects.select_related("role").filter(email__iexact=args.email.strip()).first()
    if user is None:
        raise CommandError(f"no user with email {args.email!r}")
    password = _read_password() if args.password_stdin else None
    try:
        if password is not None:  # checked first: a refused password changes nothing at all
            validate_new_password(password, user)
        changed = user_update(
            actor=None,
            user=user,
            email=args.new_email if args.new_email is not None else user.email,
            full_name=args.name if args.name is not None else user.full_name,
            role=find_role(args.role) if args.role is not None else user.role,
            is_active=args.active if args.active is not None else user.is_active,
            at=_now(),
        )
        if password is not None:
            user_set_password(actor=None, user=user, password=password, at=_now())
            changed["password"] = ["(hidden)", "(new)"]
    except AccountError as error:
        raise CommandError(str(error)) from None
    if not changed:
        print(f"{user.email}: nothing to change.")
    for field, (old, new) in changed.items():
        print(f"{field}: {old} -> {new}")
    return 0


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("no password on standard input")
    return password
