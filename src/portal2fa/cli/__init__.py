"""`portal2fa`: the command line for administrators and scripts. Thin over the services.

Exit status 0 on success; 2 with one line on stderr for bad arguments or refused changes.
"""

import argparse
import os
import sys

from .parsing import CommandError

USER_ERROR = 2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal2fa.config.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    from . import accounts, admin, policy, run

    parser = argparse.ArgumentParser(prog="portal2fa", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, accounts, policy, admin):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its one-line usage error
        return USER_ERROR if exit_.code else 0
    if getattr(args, "needs_keys_file", False):
        from .run import keys_init

        keys_init(args)
    if getattr(args, "needs_django", True):
        _setup_django()
        from django.core import checks

        errors = [e for e in checks.run_checks() if e.level >= checks.ERROR]
        if errors:
            for error in errors:
                print(f"portal2fa: {error.msg} {error.hint or ''}".rstrip(), file=sys.stderr)
            return USER_ERROR
    from django.db import OperationalError, ProgrammingError

    try:
        return args.handler(args) or 0
    except CommandError as error:
        print(f"portal2fa: {error}", file=sys.stderr)
        return USER_ERROR
    except (OperationalError, ProgrammingError) as error:  # e.g. no tables yet: one line
        first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
        hint = "" if args.command == "migrate" else "; is it migrated? run 'portal2fa migrate'"
        print(f"portal2fa: database error ({first_line}){hint}", file=sys.stderr)
        return USER_ERROR
    except BrokenPipeError:  # the reader (e.g. `head`) went away: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
