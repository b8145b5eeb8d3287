"""Security notices sent to users by email (Django's email backend: console in the demo)."""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)


def send_reset_notice(*, user, at: datetime) -> None:
    body = (
        f"Hello {user.full_name},\n\n"
        f"An administrator of {settings.PORTAL2FA_SITE_NAME} reset your two-factor authentication "
        f"on {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Your authenticator app pairing and all your backup codes "
        "no longer work. The next time you sign in you will be asked to set up your authenticator "
        "app again and will receive new backup codes.\n\n"
        "If you did not ask for this, contact your administrator immediately.\n"
    )
    try:
        send_mail("Your two-factor authentication was reset", body, None, [user.email])
    except OSError:
        # The reset itself has committed; a mail outage must not turn it into an error page.
        logger.exception("could not send the reset notice to user id %s", user.pk)
