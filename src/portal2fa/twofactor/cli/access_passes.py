"""`portal2fa pass issue|revoke|expire`: Temporary Access Passes from the command line."""

import contextlib
import sys

from .parsing import CommandError

ADVICE = (
    "Verify the user's identity through an out-of-band channel (phone, video call, internal "
    "ticket with manager approval) before giving them this pass, and give it to them through "
    "that channel."
)


def register(commands) -> None:
    passes = commands.add_parser(
        "pass", help="Temporary Access Passes (sign in once, enroll again)"
    )
    sub = passes.add_subparsers(dest="pass_command", required=True, metavar="ACTION")
    issue = sub.add_parser(
        "issue", help="issue a pass for a user (printed once; any live pass is revoked)"
    )
    issue.add_argument("email")
    issue.add_argument(
        "--minutes",
        type=int,
        default=None,
        help="how long it stays usable, 10 to 480 (default PORTAL2FA_ACCESS_PASS_MINUTES)",
    )
    issue.set_defaults(handler=pass_issue)
    revoke = sub.add_parser("revoke", help="revoke a user's live pass")
    revoke.add_argument("email")
    revoke.set_defaults(handler=pass_revoke)
    expire = sub.add_parser("expire", help="audit every pass past its time as expired (cron)")
    expire.set_defaults(handler=pass_expire)


def _user(email: str):
    from ..adapter import get_adapter

    user = get_adapter().find_user(email)
    if user is None:
        raise CommandError(f"no user with email or username {email!r}, or more than one")
    return user


def pass_issue(args) -> int:
    """The pass alone on stdout (for a script); what it is and the advice on stderr."""
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..services.access_passes import AccessPassError, access_pass_issue

    user = _user(args.email)
    try:
        # The demo's console e-mail backend prints the notice: keep stdout for the pass.
        with contextlib.redirect_stdout(sys.stderr):
            issued = access_pass_issue(
                actor=None, user=user, at=timezone.now(), minutes=args.minutes
            )
    except AccessPassError as error:
        raise CommandError(str(error)) from None
    assert issued is not None  # (without a request id nothing is a repeat)
    adapter = get_adapter()
    until = f"{timezone.localtime(issued.expires_at):%Y-%m-%d %H:%M %Z}"
    print(
        f"Temporary Access Pass for {adapter.display_name(user)} <{adapter.email(user)}>, "
        f"usable once until {until}:",
        file=sys.stderr,
    )
    print(issued.display)
    print(ADVICE, file=sys.stderr)
    return 0


def pass_revoke(args) -> int:
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..services.access_passes import AccessPassError, access_pass_revoke

    user = _user(args.email)
    try:
        access_pass_revoke(actor=None, user=user, at=timezone.now())
    except AccessPassError as error:
        raise CommandError(str(error)) from None
    adapter = get_adapter()
    print(
        f"The Temporary Access Pass of {adapter.display_name(user)} <{adapter.email(user)}> "
        "was revoked."
    )
    return 0


def pass_expire(args) -> int:
    from django.utils import timezone

    from ..services.access_passes import access_pass_expire_all

    ended = access_pass_expire_all(at=timezone.now())
    print(f"{ended} expired pass{'' if ended == 1 else 'es'} audited.")
    return 0
