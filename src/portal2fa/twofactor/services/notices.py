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
