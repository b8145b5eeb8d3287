"""Security notices sent to users by email (Django's email backend: console in the demo), in
each user's language."""

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils.translation import gettext

from .. import messages
from ..adapter import HostUser, get_adapter
from ..conf import setting
from ..formats import local_date
from .mail import send_user_mail

logger = logging.getLogger(__name__)


def _send(
    user: HostUser, *, subject: Callable[[], str], what: str, body: Callable[[], str]
) -> None:
    """Mail `body` (after a greeting) to where the adapter sends this user's notices, in the
    user's language (machinery/mail.py writes `subject` and `body` under it). Called once the
    change has committed: a mail outage is logged, never turned into an error page."""
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the %s notice of user id %s", what, user.pk)
        return
    try:
        send_user_mail(
            user=user,
            write=lambda: (
                subject(),
                f"{messages.greeting(adapter.display_name(user))}\n\n{body()}",
            ),
            to=recipients,
        )
    except OSError as error:  # one line: a mail server that is down is not a bug to trace
        logger.error("could not send the %s notice to user id %s: %s", what, user.pk, error)


def _when(at: datetime) -> str:
    """A moment in the recipient's language's format ("2026-11-28 14:05 UTC" in English)."""
    return local_date(at, "minute")


def send_reset_notice(*, user: HostUser, at: datetime, needs_access_pass: bool = False) -> None:
    """needs_access_pass: the policy asks for a Temporary Access Pass before enrolling again after
    a reset, so the user is told to get one instead of being promised enrollment at sign-in."""
    site = setting("PORTAL2FA_SITE_NAME")

    def body() -> str:
        facts = gettext(
            "An administrator of %(site)s reset your two-factor authentication on %(when)s. "
            "Your authenticator app pairing, all your backup codes and any passkeys or security "
            "keys no longer work."
        ) % {"site": site, "when": _when(at)}
        next_time = (
            gettext(
                "Before you can set up two-factor authentication again, your administrator must "
                "give you a Temporary Access Pass (ask them; they will check it is you). You will "
                "then enter it when you sign in, set up a new second factor and receive new "
                "backup codes."
            )
            if needs_access_pass
            else gettext(
                "The next time you sign in you will be asked to set up two-factor authentication "
                "again and will receive new backup codes."
            )
        )
        warning = gettext("If you did not ask for this, contact your administrator immediately.")
        return f"{facts} {next_time}\n\n{warning}\n"

    _send(
        user,
        subject=lambda: gettext("Your two-factor authentication was reset"),
        what="reset",
        body=body,
    )


def send_code_guessing_notice(*, user: HostUser, at: datetime, locked: bool) -> None:
    """Wrong codes are being tried on the account: at the first delay, and at the lock."""
    site = setting("PORTAL2FA_SITE_NAME")

    def body() -> str:
        facts = gettext(
            "Someone who knows your password is trying codes: by %(when)s, several invalid "
            "two-factor codes were entered in a row for your %(site)s account."
        ) % {"when": _when(at), "site": site}
        what = (
            gettext(
                "Two-factor authentication for your account is now locked: you cannot sign in "
                "until an administrator unlocks it."
            )
            if locked
            else gettext("Further attempts are now slowed down.")
        )
        advice = gettext(
            "Change your password now. If these attempts were not yours, also tell your "
            "administrator."
        )
        return f"{facts} {what}\n\n{advice}\n"

    _send(
        user,
        subject=lambda: (
            gettext("Your two-factor authentication is locked")
            if locked
            else gettext("Someone is trying codes on your account")
        ),
        what="code guessing",
        body=body,
    )


def send_password_changed_notice(*, user: HostUser, at: datetime) -> None:
    site = setting("PORTAL2FA_SITE_NAME")

    def body() -> str:
        facts = gettext(
            "The password of your %(site)s account was changed on %(when)s. Your other "
            "signed-in sessions were signed out."
        ) % {"site": site, "when": _when(at)}
        warning = gettext("If you did not do this, contact your administrator immediately.")
        return f"{facts}\n\n{warning}\n"

    _send(
        user,
        subject=lambda: gettext("Your password was changed"),
        what="password",
        body=body,
    )


def send_access_pass_notice(*, user: HostUser, at: datetime, expires_at: datetime) -> None:
    """A Temporary Access Pass was issued for the user: never the pass itself, only that it exists."""
    site = setting("PORTAL2FA_SITE_NAME")

    def body() -> str:
        facts = gettext(
            "An administrator of %(site)s issued a Temporary Access Pass for your account on "
            "%(when)s. With your password it signs you in once, until %(until)s, so that you "
            "can set up two-factor authentication again."
        ) % {"site": site, "when": _when(at), "until": _when(expires_at)}
        warning = gettext("If this wasn't you, contact your administrator immediately.")
        return f"{facts}\n\n{warning}\n"

    _send(
        user,
        subject=lambda: gettext("A Temporary Access Pass was issued for your account"),
        what="access pass",
        body=body,
    )
