"""`portal2fa remind [--dry-run]`: e-mail the reminders owed now to users who must enroll by a
due date. Safe from cron or a systemd timer every few minutes, on several nodes at once: each
reminder is claimed in the database before it goes (services/reminders.py)."""

from .parsing import CommandError


def register(commands) -> None:
    remind = commands.add_parser(
        "remind", help="e-mail the enrollment reminders owed now (cron, systemd timer)"
    )
    remind.add_argument(
        "--dry-run", action="store_true", help="list who would get which reminder; send nothing"
    )
    remind.set_defaults(handler=remind_run)


def remind_run(args) -> int:
    from django.utils import timezone

    from ..adapter import get_adapter
    from ..machinery.local_days import local_day
    from ..services.reminders import ReminderError, reminders_dry_run, reminders_run
    from .progress import Progress

    now = timezone.now()
    if args.dry_run:
        adapter = get_adapter()
        count = 0
        for due in reminders_dry_run(now=now):
            date = f"{local_day(due.deadline.due_at):%Y-%m-%d}"
            when = "on the due date" if due.days_before == 0 else f"{due.days_before} days before"
            print(f"{adapter.email(due.user):<40} due {date}  reminder {when}")
            count += 1
        print(f"{count} reminder{'s' if count != 1 else ''} would be sent (dry run: none sent).")
        return 0
    try:
        with Progress("Sending reminders") as progress:  # on stderr, when it is a terminal
            result = reminders_run(now=now, progress=progress)
    except ReminderError as error:
        raise CommandError(str(error)) from None
    print(f"Sent {result.sent} reminder{'s' if result.sent != 1 else ''}.", end="")
    if result.failed:
        print(f" {result.failed} could not be sent (see the log; not retried).")
        return 1
    print()
    return 0
