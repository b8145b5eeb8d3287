"""Security notices sent to users by email (Django's email backend: console in the demo)."""

import logging
from datetime import datetime

from django.utils import timezone

from ..adapter import HostUser, get_adapter
from ..conf import setting
from .mail import in_users_language, send_user_mail

logger = logging.getLogger(__name__)


def _send(user: HostUser, *, subject: str, what: str, body: str) -> None:
    """Mail `body` (after a greeting) to where the adapter sends this user's notices. Called once
    the change has committed: a mail outage is logged, never turned into an error page. The
    notices call it from inside `in_users_language`: their texts are in the user's language."""
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the %s notice of user id %s", what, user.pk)
        return
    try:
        send_user_mail(
            user=user,
            write=lambda: (subject, f"Hello {adapter.display_name(user)},\n\n{body}"),
            to=recipients,
        )
    except OSError as error:  # one line: a mail server that is down is not a bug to trace
        logger.error("could not send the %s notice to user id %s: %s", what, user.pk, error)


def _when(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M %Z}"


@in_users_language
def send_reset_notice(*, user: HostUser, at: datetime, needs_access_pass: bool = False) -> None:
    """needs_access_pass: the policy asks for a Temporary Access Pass before enrolling again after
    a reset, so the user is told to get one instead of being promised enrollment at sign-in."""
    site = setting("PORTAL2FA_SITE_NAME")
    next_time = (
        "Before you can set up two-factor authentication again, your administrator must give you "
        "a Temporary Access Pass (ask them; they will check it is you). You will then enter it "
        "when you sign in, set up a new second factor and receive new backup codes."
        if needs_access_pass
        else "The next time you sign in you will be asked to set up two-factor authentication "
        "again and will receive new backup codes."
    )
    _send(
        user,
        subject="Your two-factor authentication was reset",
        what="reset",
        body=(
            f"An administrator of {site} reset your two-factor authentication on {_when(at)}. "
            "Your authenticator app pairing, all your backup codes and any passkeys or security "
            f"keys no longer work. {next_time}\n\n"
            "If you did not ask for this, contact your administrator immediately.\n"
        ),
    )


@in_users_language
def send_code_guessing_notice(*, user: HostUser, at: datetime, locked: bool) -> None:
    """Wrong codes are being tried on the account: at the first delay, and at the lock."""
    site = setting("PORTAL2FA_SITE_NAME")
    what = (
        "Two-factor authentication for your account is now locked: you cannot sign in until an "
        "administrator unlocks it."
        if locked
        else "Further attempts are now slowed down."
    )
    _send(
        user,
        subject=(
            "Your two-factor authentication is locked"
            if locked
            else "Someone is trying codes on your account"
        ),
        what="code guessing",
        body=(
            f"Someone who knows your password is trying codes: by {_when(at)}, several invalid "
            f"two-factor codes were entered in a row for your {site} account. {what}\n\n"
            "Change your password now. If these attempts were not yours, also tell your "
            "administrator.\n"
        ),
    )


@in_users_language
def send_password_changed_notice(*, user: HostUser, at: datetime) -> None:
    site = setting("PORTAL2FA_SITE_NAME")
    _send(
        user,
        subject="Your password was changed",
        what="password",
        body=(
            f"The password of your {site} account was changed on {_when(at)}. Your other "
            "signed-in sessions were signed out.\n\n"
            "If you did not do this, contact your administrator immediately.\n"
        ),
    )


@in_users_language
def send_access_pass_notice(*, user: HostUser, at: datetime, expires_at: datetime) -> None:
    """A Temporary Access Pass was issued for the user: never the pass itself, only that it exists."""
    site = setting("PORTAL2FA_SITE_NAME")
    _send(
        user,
        subject="A Temporary Access Pass was issued for your account",
        what="access pass",
        body=(
            f"An administrator of {site} issued a Temporary Access Pass for your account on "
            f"{_when(at)}. With your password it signs you in once, until {_when(expires_at)}, "
            "so that you can set up two-factor authentication again.\n\n"
            "If this wasn't you, contact your administrator immediately.\n"
        ),
    )
