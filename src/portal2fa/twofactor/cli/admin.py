"""`portal2fa enrollment reset|unlock`, `portal2fa overview`, `portal2fa export`."""

import contextlib
import json
import sys

from ..core.lists import EXPORT_NAMES
from ..core.methods import LABELS
from .parsing import CommandError


def register(commands) -> None:
    enrollment = commands.add_parser("enrollment", help="manage a user's 2FA enrollment")
    sub = enrollment.add_subparsers(dest="enrollment_command", required=True, metavar="ACTION")
    reset = sub.add_parser(
        "reset",
        help="remove a user's authenticator, backup codes, passkeys and trusted browsers",
    )
    reset.add_argument("email")
    reset.add_argument("--reason", default="", help="why (kept in the audit log)")
    reset.add_argument("--yes", action="store_true", help="confirm: without it nothing is changed")
    reset.set_defaults(handler=reset_enrollment)
    unlock = sub.add_parser("unlock", help="unlock a second factor locked by invalid codes")
    unlock.add_argument("email")
    unlock.add_argument("--yes", action="store_true", help="confirm: without it nothing is changed")
    unlock.set_defaults(handler=enrollment_unlock)

    overview = commands.add_parser("overview", help="print the Overview widgets")
    overview.add_argument("--json", action="store_true", help="machine-readable (stable keys)")
    overview.add_argument("--limit", type=int, default=100, help="rows per list (default 100)")
    overview.add_argument(
        "--verify",
        action="store_true",
        help="recount by full scan and report counters that drifted (exit 1 on drift)",
    )
    overview.add_argument(
        "--fix", action="store_true", help="with --verify: rewrite the counters from the recount"
    )
    overview.set_defaults(handler=print_overview)

    export = commands.add_parser("export", help="write a list as CSV to standard output")
    export.add_argument("list", choices=EXPORT_NAMES)
    export.add_argument(
        "--csv", action="store_true", required=True, help="CSV output (the only format)"
    )
    export.set_defaults(handler=export_list)


def _confirmed_user(args, what_it_does: str):
    """The one user args.email names, once --yes confirms; else a one-line refusal."""
    from ..adapter import get_adapter

    user = get_adapter().find_user(args.email)
    if user is None:
        raise CommandError(f"no user with email or username {args.email!r}, or more than one")
    if not args.yes:
        raise CommandError(f"{what_it_does}; add --yes to confirm")
    return user


def reset_enrollment(args) -> int:
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..services.enrollment import EnrollmentError, enrollment_reset

    adapter = get_adapter()
    user = _confirmed_user(
        args,
        f"this removes {args.email.strip()}'s authenticator, all backup codes and all passkeys,"
        " and revokes the browsers they trusted",
    )
    try:
        # The demo's console e-mail backend prints the notice: keep stdout for the result line.
        with contextlib.redirect_stdout(sys.stderr):
            removed = enrollment_reset(actor=None, user=user, at=timezone.now(), reason=args.reason)
    except EnrollmentError as error:
        raise CommandError(str(error)) from None
    name, email = adapter.display_name(user), adapter.email(user)
    print(f"Two-factor enrollment for {name} <{email}> has been reset.")
    print(removed)
    return 0


def enrollment_unlock(args) -> int:
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..services.code_locks import NotLocked, code_lock_clear

    adapter = get_adapter()
    user = _confirmed_user(args, f"this lets codes be tried again for {args.email.strip()}")
    try:
        code_lock_clear(actor=None, user=user, at=timezone.now())
    except NotLocked as error:
        raise CommandError(str(error)) from None
    name, email = adapter.display_name(user), adapter.email(user)
    print(f"Two-factor authentication for {name} <{email}> is unlocked.")
    return 0


def _local(iso: str) -> str:
    """A time of the JSON (ISO 8601, UTC) as the pages show it: in TIME_ZONE, with its name."""
    from datetime import datetime

    from django.utils import timezone

    return f"{timezone.localtime(datetime.fromisoformat(iso)):%Y-%m-%d %H:%M %Z}"


def print_overview(args) -> int:
    from django.utils import timezone

    from ..machinery.policy import current_policy
    from ..selectors.overview import overview_data

    if args.fix and not args.verify:
        raise CommandError("--fix goes with --verify")
    if args.verify:
        return verify_counters(fix=args.fix)
    if not 0 <= args.limit <= 100000:
        raise CommandError("--limit must be between 0 and 100000")
    data = overview_data(current_policy(), now=timezone.now(), limit=args.limit)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    rate, status, health = (
        data["enrollment_rate"],
        data["status_breakdown"],
        data["backup_codes_health"],
    )
    print(
        f"Enrollment Rate      {rate['enrolled']} of {rate['active']} active users ({rate['percent']}%)"
    )
    print(
        f"Status Breakdown     Enrolled {status['enrolled']} · Pending {status['pending']} · "
        f"Not Started {status['not_started']}"
    )
    if health["healthy"]:
        print("Backup Codes Health  All users are healthy.")
    else:
        print(
            f"Backup Codes Health  {health['no_codes_count']} with no backup codes remaining, "
            f"{health['low_codes_count']} running low (≤ {health['threshold']})"
        )
        for row in health["no_codes"]:
            print(f"  no codes   {row['name']} <{row['email']}>")
        for row in health["low_codes"]:
            print(f"  low ({row['remaining']})    {row['name']} <{row['email']}>")
    print("Recent Enrollments")
    for row in data["recent_enrollments"]:
        print(f"  {_local(row['enrolled_at'])}  {row['name']} <{row['email']}>")
    locked = data["locked_by_invalid_codes"]
    if locked["count"]:
        print(f"Locked by invalid codes  {locked['count']}")
        for row in locked["users"]:
            print(f"  {_local(row['locked_at'])}  {row['name']} <{row['email']}>")
    print("Roles Without 2FA")
    for row in data["roles_without_2fa"]:
        print(f"  {row['name']} ({row['type']})")
    _print_dashboard(data)
    return 0


def _print_dashboard(data: dict) -> None:
    """The dashboard's widgets after the five: overdue and due soon, methods, adoption per role,
    the 90-day trend."""
    due = data["overdue_and_due_soon"]

    def count(name: str) -> str:
        return f"{due[f'{name}_count']}{'+' if due[f'{name}_more'] else ''}"

    print(
        f"Overdue and due soon  {count('overdue')} overdue, {count('due_soon')} due within "
        f"{due['due_soon_days']} days (see 'user list --overdue')"
    )
    for row in due["users"]:
        late = f"{row['days_overdue']} days overdue" if row["days_overdue"] is not None else ""
        print(f"  {_local(row['due_at'])}  {row['name']} <{row['email']}>  {row['role']}  {late}")
    methods = data["enrollment_methods"]
    print(
        f"Methods              of {methods['enrolled']} enrolled users (a user with both counts in both)"
    )
    for row in methods["methods"]:
        share = f"{row['percent']}%" if methods["enrolled"] else "—"
        print(f"  {row['label']:<24} {row['users']:>6}  ({share})")
    switched_on = [str(LABELS[name]) for name in methods["optional_methods_on"]]
    print(f"  Optional methods switched on in Settings: {', '.join(switched_on) or 'none'}")
    counted = data["dashboard_counted_at"]  # kept (PORTAL2FA_DASHBOARD_SECONDS), or now
    print("Adoption per Security Role" + (f"  (counted at {_local(counted)})" if counted else ""))
    for row in data["role_adoption"]:
        share = f"{row['percent']}%" if row["active"] else "—"
        required = "requires 2FA" if row["requires_2fa"] else "2FA optional"
        print(
            f"  {row['name']:<24} {row['enrolled']:>6} of {row['active']:<6} {share:>6}  {required}"
        )
    trend = data["enrollment_trend"]
    print(f"Enrollment Trend     {trend['total']} in the last 90 days")
    for week in trend["weeks"]:
        print(f"  {week['start']} – {week['end']}  {week['enrolled']}")
    trusted = data["trusted_signins"]
    print(f"Sign-ins from trusted browsers  {trusted['count']} in the last {trusted['days']} days")


def verify_counters(*, fix: bool) -> int:
    """Recount the Overview's counters by full scan (O(users)); 0 when none drifted."""
    from ..machinery import counters

    found = counters.rebuild() if fix else counters.drift()
    if not found:
        print("Overview counters verified: no drift.")
        return 0
    for name, (kept, actual) in found.items():
        print(f"drift  {name:<12} counter {kept}  recount {actual}  ({actual - kept:+d})")
    if fix:
        print(f"Rewrote the counters from the recount ({len(found)} drifted).")
        return 0
    print(f"{len(found)} counter(s) drifted: run with --verify --fix to rewrite them.")
    return 1


def export_list(args) -> int:
    from ..selectors.exports import export_csv
    from .progress import Progress

    with Progress(f"Exporting {args.list}") as progress:  # on stderr: stdout is the CSV
        for line in export_csv(args.list):
            sys.stdout.write(line)
            progress.add(1)
    return 0
