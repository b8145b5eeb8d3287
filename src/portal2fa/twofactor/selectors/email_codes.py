"""Reads for email and SMS codes: whether a user may get them, where they go, the sign-in's code."""

from .. import messages
from ..adapter import get_adapter
from ..core import methods
from ..machinery.policy import allowed_methods, current_policy
from ..models import EmailCode, SignInChallenge

NOT_AVAILABLE = messages.EMAIL_NOT_AVAILABLE
SMS_NOT_AVAILABLE = messages.SMS_NOT_AVAILABLE


def destination(user, channel: str = methods.EMAIL) -> str:
    adapter = get_adapter()
    return adapter.phone_number(user) if channel == methods.SMS else adapter.email(user)


def codes_available(user, policy=None, channel: str = methods.EMAIL) -> bool:
    """The Settings tab and the user's roles allow this channel's codes (email or SMS), and the
    user has an address (an email; a phone number) for it."""
    allowed = channel in allowed_methods(user, policy or current_policy())
    return allowed and channel in (methods.EMAIL, methods.SMS) and bool(destination(user, channel))


def not_available(channel: str) -> str:
    return SMS_NOT_AVAILABLE if channel == methods.SMS else NOT_AVAILABLE


def mask(address: str) -> str:
    local, at, domain = address.partition("@")
    if not at:  # a phone number: its last two digits
        return messages.number_ending(address[-2:]) if len(address) > 4 else "***"
    return f"{local[:1]}***@{domain}" if domain else "***"


def status(challenge: SignInChallenge) -> EmailCode | None:
    return EmailCode.objects.filter(challenge_id=challenge.pk).first()
