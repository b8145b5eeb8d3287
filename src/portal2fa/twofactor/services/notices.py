"""Security notices sent to users by email (Django's email backend: console in the demo)."""

import logging
from datetime import datetime

from django.core.mail import send_mail
from django.utils import timezone

from ..adapter import get_adapter
from ..conf import setting

logger = logging.getLogger(__name__)


def send_reset_notice(*, user, at: datetime) -> None:
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the reset notice of user id %s", user.pk)
        return
    body = (
        f"Hello {adapter.display_name(user)},\n\n"
        f"An administrator of {setting('PORTAL2FA_SITE_NAME')} reset your two-factor authentication "
        f"on {timezone.localtime(at):%Y-%m-%d %H:%M %Z}. Your authenticator app pairing and all your backup codes "
        "no longer work. The next time you sign in you will be asked to set up your authenticator "
        "app again and will receive new backup codes.\n\n"
        "If you did not ask for this, contact your administrator immediately.\n"
    )
    try:
        send_mail("Your two-factor authentication was reset", body, None, recipients)
    except OSError:
        # The reset itself has committed; a mail outage must not turn it into an error page.
        logger.exception("could not send the reset notice to user id %s", user.pk)


def send_code_guessing_notice(*, user, at: datetime, locked: bool) -> None:
    """Wrong codes are being tried on the account: at the first delay, and at the lock."""
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the code guessing notice of user id %s", user.pk)
        return
    site = setting("PORTAL2FA_SITE_NAME")
    what = (
        "Two-factor authentication for your account is now locked: you cannot sign in until an "
        "administrator unlocks it."
        if locked
        else "Further attempts are now slowed down."
    )
    body = (
        f"Hello {adapter.display_name(user)},\n\n"
        f"Someone who knows your password is trying codes: by "
        f"{timezone.localtime(at):%Y-%m-%d %H:%M %Z}, several invalid two-factor codes were entered "
        f"in a row for your {site} account. {what}\n\n"
        "Change your password now. If these attempts were not yours, also tell your "
        "administrator.\n"
    )
    subject = (
        "Your two-factor authentication is locked"
        if locked
        else "Someone is trying codes on your account"
    )
    try:
        send_mail(subject, body, None, recipients)
    except OSError:
        logger.exception("could not send the code guessing notice to user id %s", user.pk)


def send_password_changed_notice(*, user, at: datetime) -> None:
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the password notice of user id %s", user.pk)
        return
    body = (
        f"Hello {adapter.display_name(user)},\n\n"
        f"The password of your {setting('PORTAL2FA_SITE_NAME')} account was changed on "
        f"{timezone.localtime(at):%Y-%m-%d %H:%M %Z}. Your other signed-in sessions were signed out.\n\n"
        "If you did not do this, contact your administrator immediately.\n"
    )
    try:
        send_mail("Your password was changed", body, None, recipients)
    except OSError:
        logger.exception("could not send the password notice to user id %s", user.pk)
