"""Portal 2FA's commands for administrators and scripts (`python manage.py portal2fa …`).

In any host, and the demo's standalone `portal2fa`, which adds the demo portal's own commands.

Thin over the services. Exit status 0 on success; 2 with one line on stderr for bad arguments or
refused changes.
"""

import argparse
import os
import sys
from importlib.metadata import entry_points

from .parsing import CommandError

USER_ERROR = 2


def build_parser(prog: str, *, extend=None) -> argparse.ArgumentParser:
    """The parser of every library command; `extend(commands, subparsers)` adds a host's own."""
    from . import access_passes, admin, deadlines, doctor, keys, policy, reminders, roles

    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers: dict[str, argparse.ArgumentParser] = {}
    for module in (keys, roles, policy, admin, access_passes, reminders, doctor):
        subparsers.update(module.register(commands) or {})
    deadlines.extend(commands, subparsers)
    # Optional apps above the library (portal2fa.api) add theirs: an entry point of the group
    # "portal2fa.cli" names a register(commands) function.
    for entry_point in sorted(entry_points(group="portal2fa.cli"), key=lambda e: e.name):
        entry_point.load()(commands)
    if extend:
        extend(commands, subparsers)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str]):
    """The parsed arguments, or the exit status when argparse already answered (usage, --help)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its one-line usage error
        return USER_ERROR if exit_.code else 0


def run(args, *, migrate: str = "python manage.py migrate") -> int:
    """Run a parsed command (Django set up), turning refusals into one line on stderr.
    `migrate`: the command that creates the tables, for the hint when they are missing."""
    from django.db import OperationalError, ProgrammingError

    try:
        return args.handler(args) or 0
    except CommandError as error:
        print(f"{_prog()}: {error}", file=sys.stderr)
        return USER_ERROR
    except (OperationalError, ProgrammingError) as error:  # e.g. no tables yet: one line
        first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
        hint = "" if args.command == "migrate" else f"; is it migrated? run '{migrate}'"
        print(f"{_prog()}: database error ({first_line}){hint}", file=sys.stderr)
        return USER_ERROR
    except BrokenPipeError:  # the reader (e.g. `head`) went away: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _prog() -> str:
    return "portal2fa"


def refused_by_checks() -> bool:
    """Django's system checks (keys, middleware, settings): their errors, one line each on stderr,
    and True; a command must not run against a configuration the server would refuse."""
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.level >= checks.ERROR]
    for error in errors:
        print(f"{_prog()}: {error.msg} {error.hint or ''}".rstrip(), file=sys.stderr)
    return bool(errors)


def checked_first(args) -> bool:
    """Whether the command must refuse a configuration the checks refuse (`doctor` reports them)."""
    return getattr(args, "needs_django", True) and not getattr(args, "reports_checks", False)


def main(argv: list[str], *, prog: str = "manage.py portal2fa") -> int:
    """`manage.py portal2fa`: Django is already set up by manage.py."""
    args = parse(build_parser(prog), argv)
    if isinstance(args, int):
        return args
    if checked_first(args) and refused_by_checks():
        return USER_ERROR
    return run(args)
