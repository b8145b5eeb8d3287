"""`portal2fa role list|require-2fa` and `portal2fa user list`: roles and users through the
adapter, so they work with the host's own (Groups by default)."""

from typing import TYPE_CHECKING

from .parsing import CommandError, parse_bool

if TYPE_CHECKING:  # the parser is built before Django is set up: no model import at load time
    from ..selectors.user_list import ListedUser


def register(commands) -> dict:
    role = commands.add_parser("role", help="Security Roles and whether they require 2FA")
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    listing = role_sub.add_parser("list", help="list Security Roles")
    listing.add_argument("--json", action="store_true", help="machine-readable (stable keys)")
    listing.set_defaults(handler=role_list)
    require = role_sub.add_parser("require-2fa", help="whether users of a role must use 2FA")
    require.add_argument("name")
    require.add_argument("required", metavar="true|false")
    require.set_defaults(handler=role_require_2fa)

    user = commands.add_parser("user", help="users and their 2FA state")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    listing = user_sub.add_parser(
        "list",
        help="list users with their 2FA state",
        # one line (argparse wraps its own): scripts read a usage error as one line
        usage="%(prog)s [--state S] [--role R] [--overdue] [--json|--csv] [--search Q] [--limit N]",
    )
    listing.add_argument("--search", default="", help="part of a name or email")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many (1-100000)")
    listing.add_argument(
        "--state",
        choices=("enrolled", "pending", "not-started", "not-enrolled"),
        help="active users in this 2FA state",
    )
    listing.add_argument("--role", default="", help="active users of this Security Role (its name)")
    listing.add_argument(
        "--overdue", action="store_true", help="must enroll and their due date has passed"
    )
    output = listing.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the filtered 2FA list as JSON")
    output.add_argument(
        "--csv", action="store_true", help="the filtered 2FA list as CSV (all rows)"
    )
    listing.set_defaults(handler=user_list)
    return {"role": role_sub, "user": user_sub}


def find_role(name: str):
    from ..adapter import get_adapter

    wanted = name.strip().casefold()
    role = next((r for r in get_adapter().roles() if r.name.casefold() == wanted), None)
    if role is None:
        raise CommandError(f"no Security Role named {name!r} (see 'portal2fa role list')")
    return role


def role_json(role) -> dict:
    return {
        "id": role.id,
        "name": role.name,
        "type": role.type,
        "requires_2fa": role.requires_2fa,
        "due": role.deadline.as_json(),
        "methods": ["totp", *role.methods],
        "always_second_factor": role.always_second_factor,
    }


def role_list(args) -> int:
    import json
    import sys

    from ..adapter import get_adapter

    roles = get_adapter().roles()
    if args.json:
        json.dump({"roles": [role_json(role) for role in roles]}, sys.stdout, indent=2)
        print()
        return 0
    # The columns scripts read stay as they were: the due rule is in --json and `role show`.
    print(f"{'Role Name':<30} {'Type':<10} 2FA")
    for role in roles:
        required = "required" if role.requires_2fa else "not required"
        print(f"{role.name:<30} {role.type:<10} {required}")
    return 0


def role_require_2fa(args) -> int:
    from django.utils import timezone

    from ..services.settings import settings_update

    role, required = find_role(args.name), parse_bool(args.required)
    changed = settings_update(
        actor=None, changes={}, at=timezone.now(), role_requirements={role.id: required}
    )
    state = "requires" if required else "does not require"
    print(f"{role.name} {state} 2FA{'' if changed else ' (unchanged)'}.")
    return 0


def user_list(args) -> int:
    from ..adapter import get_adapter
    from ..models import EnrollmentState
    from ..selectors.users import with_state

    if not 1 <= args.limit <= 100000:
        raise CommandError("--limit must be between 1 and 100000")
    if args.state or args.role.strip() or args.overdue or args.json or args.csv:
        return filtered_user_list(args)
    adapter = get_adapter()
    users = adapter.search_users(args.search.strip()) if args.search.strip() else adapter.users()
    users = with_state(users.order_by(*adapter.user_ordering()))
    if hasattr(users.model, "groups"):
        users = users.prefetch_related("groups")
    print(f"{'Email':<40} {'Name':<30} {'Role':<20} {'Active':<6} 2FA")
    for user in users[: args.limit]:
        roles = ", ".join(adapter.role_names(user))
        active = "yes" if getattr(user, "is_active", True) else "no"
        state = str(EnrollmentState(user.enrollment_state).label)
        name = adapter.display_name(user)
        print(f"{adapter.email(user):<40} {name:<30} {roles:<20} {active:<6} {state}")
    return 0


def filtered_user_list(args) -> int:
    """The 2FA user list of Setup (active users; state, role, overdue; Pending since, Due): text,
    JSON (at most --limit users) or CSV (every user of the filter, as the page's download)."""
    import json
    import sys

    from django.utils import timezone

    from ..machinery.local_days import local_day
    from ..selectors.exports import user_list_csv
    from ..selectors.user_list import FilterError, all_users, parse_filter

    if args.search.strip():
        raise CommandError("--search lists all users: it does not combine with the 2FA filters")
    role = find_role(args.role).id if args.role.strip() else ""
    try:
        wanted = parse_filter(state=args.state or "", role=role, overdue=args.overdue)
    except FilterError as error:
        raise CommandError(str(error)) from None
    now = timezone.now()
    if args.csv:
        for line in user_list_csv(wanted, now=now):
            sys.stdout.write(line)
        return 0
    users: list[ListedUser] = []
    for user in all_users(wanted, now=now):
        if len(users) == args.limit:
            break
        users.append(user)
    if args.json:
        print(json.dumps({"filter": wanted.as_json(), "users": [u.as_json() for u in users]}))
        return 0
    print(f"{'Email':<40} {'Name':<30} {'Role':<20} {'2FA':<12} {'Pending since':<14} Due")
    for u in users:
        since = f"{timezone.localtime(u.pending_since):%Y-%m-%d}" if u.pending_since else "-"
        due = f"{local_day(u.due_at):%Y-%m-%d}" if u.due_at else "-"
        late = f" ({u.days_overdue} days overdue)" if u.days_overdue is not None else ""
        roles = ", ".join(u.roles)
        print(
            f"{u.email:<40} {u.name:<30} {roles:<20} {str(u.state.label):<12} {since:<14} {due}{late}"
        )
    return 0
