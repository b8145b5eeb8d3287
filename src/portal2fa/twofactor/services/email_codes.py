"""Email (and SMS) codes at the sign-in verify step: 6 digits, valid 10 minutes, single
use. SMS codes take the same path (`channel=methods.SMS`), delivered by PORTAL2FA_SMS_PROVIDER.

Only a keyed hash of the code is stored (keys.email_code_digest, bound to the sign-in token); a
resend replaces it, so only the newest code works. Sends per token are limited
(PORTAL2FA_EMAIL_CODE_SENDS) and spaced (PORTAL2FA_EMAIL_CODE_RESEND_SECONDS) by one conditional
UPDATE. A code is checked like any other (services/attempt.py): under the per-user lock, after
the account's code budget, a wrong one counts toward the token's lockout and the account's budget,
and its use is one conditional UPDATE whose row count decides (two parallel submissions: one wins).
The code is never logged; it exists in clear only in memory and in the email.
"""

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.views.decorators.debug import sensitive_variables

from ..conf import setting
from ..core import methods
from ..core.typed import typed_code
from ..machinery import code_budget, code_checks, keys
from ..machinery.mail import in_language_of, send_user_mail
from ..machinery.send_limits import send_limits_reserve, send_refusal_audit, too_many
from ..messages import (
    EMAIL_CODE_EXPIRED,
    EMAIL_SEND_FAILED,
    NO_MORE_SENDS,
    email_code_body,
    email_code_subject,
    sms_code,
    wait_before_resend,
)
from ..models import EmailCode, SignInChallenge, TwoFactorSettings
from ..selectors.email_codes import codes_available, destination, mask, not_available
from ..sms import get_sms_provider
from .attempt import (
    EXPIRED,
    LOCKED,
    USED,
    Attempt,
    LockedChallenge,
    Verdict,
    ended,
    lock_challenge,
    second_factor_attempt,
)
from .challenge import live_challenge

logger = logging.getLogger(__name__)

EXPIRED_CODE = EMAIL_CODE_EXPIRED
SEND_FAILED = EMAIL_SEND_FAILED


@dataclass(frozen=True)
class Sent:
    ok: bool
    message: str = ""
    address: str = ""  # where it went, masked for the page: j***@example.com
    sends_left: int = 0


def _lifetime() -> timedelta:
    return timedelta(minutes=setting("PORTAL2FA_EMAIL_CODE_MINUTES"))


@sensitive_variables("code")
def email_code_send(
    *,
    challenge: SignInChallenge,
    at: datetime,
    client_address: str | None = None,
    channel: str = methods.EMAIL,
) -> Sent:
    """Send (or resend) this sign-in's code by email (or SMS). Refused when not available, locked,
    while the account's invalid codes delay or lock its second factor, over the send limit of the
    sign-in or of the account or destination across sign-ins (machinery/send_limits.py), or sooner
    than the resend gap after the last send; nothing sent then. Sends are counted per sign-in
    whatever the channel; a send replaces the previous code."""
    user = challenge.user
    if not codes_available(user, channel=channel):
        return Sent(False, not_available(channel))
    limit = setting("PORTAL2FA_EMAIL_CODE_SENDS")
    code = f"{secrets.randbelow(10**6):06d}"
    address = destination(user, channel)
    refused = None  # (the reason audited, the message): a refusal across sign-ins
    with transaction.atomic():
        budget = lock_challenge(challenge).budget  # one lock order with the code checks
        if ended(challenge, at=at):
            return Sent(False, EXPIRED)
        if challenge.locked:
            return Sent(False, LOCKED)
        refusal = code_budget.code_budget_refusal(challenge.user_id, at=at, budget=budget)
        if refusal:  # delayed or locked: no code could be checked now, so none is sent
            refused = ("code lock" if refusal.locked else "invalid-code delay", refusal.message)
        else:
            sends, message = _count_on_the_sign_in(challenge, code, channel, limit=limit, at=at)
            if message:
                return Sent(False, message)
            over = send_limits_reserve(user=user, channel=channel, destination=address, at=at)
            if over:  # nothing of this send is kept (nor what an earlier window counted)
                transaction.set_rollback(True)
                refused = (f"{over} limit", too_many(over.split()[-1]))
    if refused:
        reason, message = refused
        send_refusal_audit(
            user=user, channel=channel, reason=reason, at=at, client_address=client_address
        )
        return Sent(False, message)
    site = setting("PORTAL2FA_SITE_NAME")
    minutes = setting("PORTAL2FA_EMAIL_CODE_MINUTES")
    try:
        if channel == methods.SMS:
            with in_language_of(user):
                text = sms_code(code, site, minutes)
            get_sms_provider().send(address, text)
            return Sent(True, address=mask(address), sends_left=max(0, limit - sends))
        send_user_mail(
            user=user,
            write=lambda: (email_code_subject(site), email_code_body(code, minutes)),
            to=[address],
        )
    except OSError:
        logger.exception("could not send the %s code to user id %s", channel, user.pk)
        return Sent(False, SEND_FAILED)
    return Sent(True, address=mask(address), sends_left=max(0, limit - sends))


@sensitive_variables("code")
def _count_on_the_sign_in(
    challenge: SignInChallenge, code: str, channel: str, *, limit: int, at: datetime
) -> tuple[int, str | None]:
    """The new code replaces the sign-in's last one, within its send limit and resend gap (one
    conditional UPDATE). (sends so far, None), or (0, why not)."""
    gap = setting("PORTAL2FA_EMAIL_CODE_RESEND_SECONDS")
    fields = {
        "digest": keys.email_code_digest(challenge.pk, code),
        "sent_at": at,
        "expires_at": at + _lifetime(),
        "used_at": None,
        "channel": channel,
    }
    existing = EmailCode.objects.filter(challenge_id=challenge.pk).first()
    if existing is None:
        EmailCode.objects.create(challenge_id=challenge.pk, sends=1, **fields)
        return 1, None
    updated = EmailCode.objects.filter(
        pk=existing.pk,
        sends__lt=limit,
        sent_at__lte=at - timedelta(seconds=gap),
        used_at=None,
    ).update(sends=F("sends") + 1, **fields)
    if not updated:
        return 0, _refusal(existing, limit=limit, gap=gap, at=at)
    return existing.sends + 1, None


def _refusal(existing: EmailCode, *, limit: int, gap: int, at: datetime) -> str:
    if existing.used_at is not None:
        return EXPIRED
    if existing.sends >= limit:
        return NO_MORE_SENDS
    wait = max(1, math.ceil((existing.sent_at + timedelta(seconds=gap) - at).total_seconds()))
    return wait_before_resend(wait)


@sensitive_variables("code")
def email_code_attempt(
    *,
    token: str | None,
    code: str,
    channel: str = methods.EMAIL,
    at: datetime,
    client_address: str | None = None,
    challenge: SignInChallenge | None = None,
    policy: TwoFactorSettings | None = None,
) -> Attempt:
    """Check an email (or SMS) code against this sign-in, as any second factor is checked
    (services/attempt.py)."""
    challenge = live_challenge(token, at=at, loaded=challenge)
    if challenge is not None and not codes_available(challenge.user, policy, channel):
        return Attempt(False, not_available(channel))  # never counts for a role forbidding it
    return second_factor_attempt(
        challenge,
        check=lambda locked: _check(locked, code, at=at, channel=channel),
        at=at,
        client_address=client_address,
    )


def _check(locked: LockedChallenge, code: str, *, at: datetime, channel: str) -> Verdict:
    if not locked.enrolled:  # reset during this sign-in
        return Verdict.refused(EXPIRED)
    check, expired = _consume(locked.challenge, code, at=at, channel=channel)
    if check.ok:
        return Verdict.passed(check.value)
    if check is code_checks.CodeCheck.USED:  # right, but used or expired: no guess at the secret
        return Verdict.replayed(EXPIRED_CODE if expired else USED)
    return Verdict.failed()


def _consume(
    challenge: SignInChallenge, raw: str, *, at: datetime, channel: str
) -> tuple[code_checks.CodeCheck, bool]:
    """(the check, whether the code was right but expired). A right code that is used or expired
    is no guess at the secret (the token counts it, the account's budget does not)."""
    code = typed_code(raw)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return code_checks.CodeCheck.INVALID, False
    digest = keys.email_code_digest(challenge.pk, code)
    mine = EmailCode.objects.filter(challenge_id=challenge.pk, digest=digest, channel=channel)
    if mine.filter(used_at=None, expires_at__gt=at).update(used_at=at):
        kind = code_checks.CodeCheck.SMS if channel == methods.SMS else code_checks.CodeCheck.EMAIL
        return kind, False
    found = list(mine.values_list("used_at", flat=True)[:1])
    if not found:
        return code_checks.CodeCheck.INVALID, False
    return code_checks.CodeCheck.USED, found[0] is None  # matched: used, or unused and expired
