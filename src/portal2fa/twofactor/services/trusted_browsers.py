"""Trusted browsers (enforcement "Unrecognized devices only").

After a passed second factor a user may trust their browser for the policy's trust_days: the
browser gets a random token (web/trusted.py keeps it in a cookie), the server stores only a keyed
hash of it (keys.token_digest, HMAC with the deploy-time key) in a TrustedBrowser row bound to the
user. A later sign-in of that user from that browser skips the second factor (the password is
still needed) while the row exists and has not expired, unless a role of the user says "Always
require the second factor". Two users of one browser each have their own token and row: one
user's token never matches another user's row (the look-up is by digest AND user).

Revoking deletes rows (the audit log keeps the story): one, all of a user's (personal page), and
all on an enrollment reset, a password change and "Sign out everywhere".
"""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from ...audit.models import Action
from ...audit.services import Origin, record
from ..adapter import HostUser, get_adapter
from ..core import crypto
from ..machinery import keys
from ..machinery.session_generation import generation_locked, sessions_end_others
from ..models import Enforcement, TrustedBrowser, TwoFactorSettings

MAX_TOKEN_LENGTH = 64


def _well_formed(token: object) -> bool:
    return (
        isinstance(token, str)
        and 16 <= len(token) <= MAX_TOKEN_LENGTH
        and re.fullmatch(r"[A-Za-z0-9_-]+", token) is not None
    )


def trust_applies(user: HostUser, policy: TwoFactorSettings) -> bool:
    """May a trusted browser skip this user's second factor (and may they trust one)?"""
    return policy.enforcement == Enforcement.UNRECOGNIZED_DEVICES and not (
        get_adapter().role_always_requires_second_factor(user)
    )


def browser_name(user_agent: str) -> str:
    """'Firefox on Linux' from a User-Agent header: a simple parse, for the user's list only."""
    agent = user_agent or ""
    browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for marker, name in browsers if marker in agent), "Unknown browser")
    system = next((name for marker, name in systems if marker in agent), "")
    return f"{browser} on {system}" if system else browser


def trusted_browser_grant(
    *,
    user: HostUser,
    token: str,
    user_agent: str,
    at: datetime,
    client_address: str | None = None,
    policy: TwoFactorSettings,
    generation: int,
    factor: str = "",
) -> TrustedBrowser | None:
    """Trust this browser (the caller made `token` and will put it in the browser's cookie).
    `factor`: the second factor that passed just before ("totp", "email", "passkey"...), audited.
    `generation`: the session generation of the session asking; None (nothing granted) when a
    security change has raised the user's since. The user's generation row stays locked until
    the row is in, so a concurrent change either refuses this grant or revokes the new row."""
    if not _well_formed(token):
        raise ValueError("A device token is 16 to 64 URL-safe characters.")
    name = browser_name(user_agent)[:100]
    with transaction.atomic():
        if generation_locked(user.pk) > generation:
            return None
        browser = TrustedBrowser.objects.create(
            user=user,
            token_digest=keys.trusted_browser_digest(token),
            name=name,
            created_at=at,
            last_used_at=at,
            last_address=client_address,
            expires_at=at + timedelta(days=policy.trust_days),
        )
        record(
            Action.TRUSTED_BROWSER_ADDED,
            Origin(user, user, client_address, at),
            browser=name,
            days=policy.trust_days,
            **({"factor": factor} if factor else {}),
        )
    return browser


def new_token() -> str:
    return crypto.new_token()


def _live(at: datetime, trust_days: int) -> Q:
    """Unexpired, and given no longer ago than the policy's current days: lowering "Trust a
    browser for (days)" shortens trust already given, even a grant that read the old value."""
    return Q(expires_at__gt=at, created_at__gt=at - timedelta(days=trust_days))


def trusted_browser_match(
    *, user: HostUser, tokens: Iterable[str], at: datetime, trust_days: int
) -> TrustedBrowser | None:
    """The user's live trusted browser one of `tokens` names, else None. Only the exact token of
    this user passes: the look-up is by its keyed hash and the user together."""
    digests = [
        keys.trusted_browser_digest(token) for token in list(tokens)[:16] if _well_formed(token)
    ]
    if not digests:
        return None
    return (
        TrustedBrowser.objects.filter(
            _live(at, trust_days), user_id=user.pk, token_digest__in=digests
        )
        .order_by("-expires_at")
        .first()
    )


def trust_shortened(*, days: int) -> int:
    """The policy's days were lowered: every trust given for longer now ends `days` after it was
    given (so the lists and counts show it; the check itself never trusts beyond the setting)."""
    longer = TrustedBrowser.objects.filter(expires_at__gt=F("created_at") + timedelta(days=days))
    return longer.update(expires_at=F("created_at") + timedelta(days=days))


def trusted_browser_use(
    *,
    user: HostUser,
    tokens: Iterable[str],
    at: datetime,
    trust_days: int,
    client_address: str | None = None,
    first_factor: str,
) -> TrustedBrowser | None:
    """A sign-in of `user` whose first factor passed: when this browser is trusted for the user,
    mark it used (a conditional UPDATE: a concurrent revoke wins) and audit the sign-in that
    skipped the second factor. None when the second factor is needed."""
    browser = trusted_browser_match(user=user, tokens=tokens, at=at, trust_days=trust_days)
    if browser is None:
        return None
    with transaction.atomic():
        used = TrustedBrowser.objects.filter(_live(at, trust_days), pk=browser.pk).update(
            last_used_at=at, last_address=client_address
        )
        if not used:  # revoked meanwhile
            return None
        origin = Origin(user, user, client_address, at)
        record(Action.TRUSTED_BROWSER_USED, origin, browser=browser.name)
        record(
            Action.SIGNIN_SUCCEEDED,
            origin,
            factor=f"{first_factor} + trusted browser",
            second_factor="skipped: trusted browser",
        )
    return browser


def trusted_browser_revoke(
    *, user: HostUser, browser_id: int, at: datetime, client_address: str | None = None
) -> bool:
    """Revoke one of the user's trusted browsers (never another user's). False when not found."""
    with transaction.atomic():
        browser = TrustedBrowser.objects.filter(user_id=user.pk, pk=browser_id).first()
        if browser is None:
            return False
        deleted = TrustedBrowser.objects.filter(pk=browser.pk).delete()[0]
        if deleted:
            record(
                Action.TRUSTED_BROWSER_REVOKED,
                Origin(user, user, client_address, at),
                browser=browser.name,
            )
    return bool(deleted)


THE_USER = object()  # the actor of a revocation the user asked for (their own page)


def trusted_browsers_revoke_all(
    *,
    user: HostUser,
    at: datetime,
    actor: HostUser | None = THE_USER,
    client_address: str | None = None,
    reason: str,
) -> int:
    """Revoke every trusted browser of the user (runs in the caller's transaction when there is
    one). Audited with the reason when there was any; actor None: no person (the CLI, a
    deactivation by the host). Returns how many."""
    with transaction.atomic():
        deleted = TrustedBrowser.objects.filter(user_id=user.pk).delete()[0]
        if deleted:
            record(
                Action.TRUSTED_BROWSER_REVOKED,
                Origin(user if actor is THE_USER else actor, user, client_address, at),
                count=deleted,
                reason=reason,
            )
    return deleted


def signed_out_everywhere(
    *, user: HostUser, at: datetime, client_address: str | None = None
) -> int:
    """ "Sign out everywhere": every session of the user ends (the caller's own included, once it
    logs out) and every browser they trusted is revoked, audited as one event. Returns how many
    browsers were revoked."""
    with transaction.atomic():
        sessions_end_others(user=user)
        revoked = trusted_browsers_revoke_all(
            user=user, at=at, client_address=client_address, reason="signed out everywhere"
        )
        record(
            Action.SIGNED_OUT_EVERYWHERE,
            Origin(user, user, client_address, at),
            trusted_browsers_revoked=revoked,
        )
    return revoked
