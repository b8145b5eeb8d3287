"""`portal2fa`: the demo portal's command line. Every command of `manage.py portal2fa` (the
library's), plus the demo's own: keys init, migrate, demo, serve, role add, user add|set.

Exit status 0 on success; 2 with one line on stderr for bad arguments or refused changes.
"""

import os
import sys

from ..twofactor import cli

USER_ERROR = cli.USER_ERROR


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal2fa.config.settings")
    import django

    django.setup()


def _demo_commands(commands, subparsers) -> None:
    from . import accounts, run

    run.register(commands, subparsers)
    accounts.register(commands, subparsers)


def build_parser():
    return cli.build_parser("portal2fa", extend=_demo_commands)


DEMO_MODULES = ("dj_database_url", "gunicorn", "whitenoise", "csp", "psycopg")
WITHOUT_DEMO_EXTRA = (
    "portal2fa: this command is the demo portal's and needs its extra: "
    "pip install 'portal2fa[demo]'. In your own project use: python manage.py portal2fa ..."
)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except ModuleNotFoundError as error:  # a plain install of the library: no demo dependencies
        if error.name not in DEMO_MODULES:
            raise
        print(WITHOUT_DEMO_EXTRA, file=sys.stderr)
        return USER_ERROR


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = cli.parse(build_parser(), argv)
    if isinstance(args, int):
        return args
    if getattr(args, "needs_keys_file", False):
        from .run import keys_init

        keys_init(args)
    if getattr(args, "needs_django", True):
        _setup_django()
        if cli.checked_first(args) and cli.refused_by_checks():
            return USER_ERROR
        return cli.run(args, migrate="portal2fa migrate")
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
