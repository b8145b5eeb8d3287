"""Limits on email and SMS code sends across sign-ins, beside the per-sign-in limit.

Each new password step gives a sign-in its own few sends (PORTAL2FA_EMAIL_CODE_SENDS); without a
limit across sign-ins someone who knows the password could mail (or text, at the site's cost) a
victim without end. Every send is therefore also counted against the account and against the
destination (the address or number, as a keyed hash: never in clear), per hour and per day
(machinery/throttle.py: rows locked and counted before the send, so parallel sends cannot pass the
limit together). A refused send is audited with the reason (send_refusal_audit).
"""

from datetime import datetime, timedelta

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..conf import setting
from . import keys
from .throttle import throttle_fail, throttle_reserve

# (the window's name, its length, the account's limit, the destination's limit: setting names)
WINDOWS = (
    (
        "hour",
        timedelta(hours=1),
        "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_HOUR",
        "PORTAL2FA_CODE_SENDS_PER_DESTINATION_HOUR",
    ),
    (
        "day",
        timedelta(days=1),
        "PORTAL2FA_CODE_SENDS_PER_ACCOUNT_DAY",
        "PORTAL2FA_CODE_SENDS_PER_DESTINATION_DAY",
    ),
)


def too_many(window: str) -> str:
    return messages.too_many_sends(window)


def _destination_key(window: str, channel: str, destination: str) -> str:
    canonical = "".join(destination.split()).lower()
    return keys.throttle_key("code-send", window, "to", channel, canonical)


def send_limits_reserve(
    *, user: HostUser, channel: str, destination: str, at: datetime
) -> str | None:
    """Count one send against the account's and the destination's hourly and daily limits.
    None when each had room; else the reason ("account hour", "destination day"...). Runs in the
    caller's transaction: on a refusal the caller rolls back what earlier windows counted."""
    for window, length, per_account, per_destination in WINDOWS:
        limits = (
            (
                "account",
                keys.throttle_key("code-send", window, "account", str(user.pk)),
                per_account,
            ),
            ("destination", _destination_key(window, channel, destination), per_destination),
        )
        for whose, key, limit in limits:
            reservation = throttle_reserve(limits=[(key, setting(limit))], window=length, at=at)
            if reservation is None:
                return f"{whose} {window}"
            # A send is never given back: it counts in the window as a failure does.
            throttle_fail(reservation)
    return None


def send_refusal_audit(
    *, user: HostUser, channel: str, reason: str, at: datetime, client_address: str | None
) -> None:
    """A send refused across sign-ins (a limit, the account's invalid-code delay or lock)."""
    record(
        Action.CODE_SEND_REFUSED,
        Origin(user, user, client_address, at),
        channel=channel,
        reason=reason,
    )
