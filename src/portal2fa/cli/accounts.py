"""`portal2fa role ...` and `portal2fa user ...`."""

import sys

from ..twofactor.cli.parsing import CommandError

ROLE_TYPES = ("System", "Employee", "Partner", "Customer")  # twofactor.models.RoleType


def register(commands, subparsers) -> None:
    """The demo portal's own user and role commands, beside the library's list commands."""
    add = subparsers["role"].add_parser("add", help="create a Security Role")
    add.add_argument("name")
    add.add_argument("--type", required=True, choices=ROLE_TYPES)
    add.add_argument("--require-2fa", action="store_true", help="users of this role must use 2FA")
    add.set_defaults(handler=role_add)

    user_sub = subparsers["user"]
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


def user_set(args) -> int:
    from ..accounts.models import User
    from ..accounts.services import (
        AccountError,
        user_set_password,
        user_update,
        validate_new_password,
    )

    user = User.objects.select_related("role").canonical(args.email)
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
