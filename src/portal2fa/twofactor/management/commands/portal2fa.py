"""`python manage.py portal2fa …`: every library command of the `portal2fa` CLI, in any host."""

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from ...cli import main


class Command(BaseCommand):
    help = "Portal 2FA: settings, roles, users, enrollment reset, overview, exports, keys."

    def run_from_argv(self, argv):
        # argparse of our own (nested subcommands): hand it everything after "portal2fa".
        sys.exit(main(argv[2:], prog=f"{argv[0]} {argv[1]}"))

    def add_arguments(self, parser):
        parser.add_argument("words", nargs=argparse.REMAINDER)

    def handle(self, *args, **options):  # call_command("portal2fa", "overview", "--json")
        status = main([*args, *options["words"]])
        if status:
            raise CommandError(f"portal2fa exited with status {status}", returncode=status)
