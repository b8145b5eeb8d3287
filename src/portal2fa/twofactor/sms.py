"""SMS delivery for SMS codes: a provider interface (PORTAL2FA_SMS_PROVIDER names the class).

The library ships no gateway: ConsoleSmsProvider prints (development, like Django's console email
backend) and LocmemSmsProvider keeps messages in memory (tests). A host writes a class with the
same `send` for its SMS gateway. `send` raises OSError (or a subclass) when delivery fails.
"""

import sys
from dataclasses import dataclass

from django.utils.module_loading import import_string

from .conf import setting


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsProvider:
    def send(self, to: str, body: str) -> None:  # pragma: no cover - the interface
        raise NotImplementedError


class ConsoleSmsProvider(SmsProvider):
    """Development only: prints the message (and so the code) to stdout, as Django's console
    email backend prints mail. Never configure it in production."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}: {body}\n")
        sys.stdout.flush()


class LocmemSmsProvider(SmsProvider):
    """Tests: messages are appended to LocmemSmsProvider.outbox (empty it between tests)."""

    outbox: list[SmsMessage] = []

    def send(self, to: str, body: str) -> None:
        LocmemSmsProvider.outbox.append(SmsMessage(to, body))


def get_sms_provider() -> SmsProvider:
    return import_string(setting("PORTAL2FA_SMS_PROVIDER"))()
