"""Security notices sent to users by email (Django's email backend: console in the demo)."""

import logging
from datetime import UTC, datetime

from django.core.mail import send_mail

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
        f"on {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Your authenticator app pairing and all your backup codes "
        "no longer work. The next time you sign in you will be asked to set up your authenticator "
        "app again and will receive new backup codes.\n\n"
        "If you did not ask for this, contact your administrator immediately.\n"
    )
    try:
        send_mail("Your two-factor authentication was reset", body, None, recipients)
    except OSError:
        # The reset itself has committed; a mail outage must not turn it into an error page.
        logger.exception("could not send the reset notice to user id %s", user.pk)


def send_password_changed_notice(*, user, at: datetime) -> None:
    adapter = get_adapter()
    recipients = adapter.notice_recipients(user)
    if not recipients:
        logger.warning("no address for the password notice of user id %s", user.pk)
        return
    body = (
        f"Hello {adapter.display_name(user)},\n\n"
        f"The password of your {setting('PORTAL2FA_SITE_NAME')} account was changed on "
        f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Your other signed-in sessions were signed out.\n\n"
        "If you did not do this, contact your administrator immediately.\n"
    )
    try:
        send_mail("Your password was changed", body, None, recipients)
    except OSError:
        logger.exception("could not send the password notice to user id %s", user.pk)
