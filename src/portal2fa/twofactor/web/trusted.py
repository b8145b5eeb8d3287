"""The trusted-browser cookie (services/trusted_browsers.py keeps the server's side).

One cookie per browser holds the device tokens of the users who trusted it, joined by ".": two
users of one browser each have their own token (and row), never a shared one; a token names
nobody by itself (the server looks it up by keyed hash AND user). HttpOnly, SameSite=Lax, Secure
over HTTPS. The server's row decides: a token whose row was revoked or expired is dead weight,
dropped the next time a token is added.
"""

from django.utils import timezone

from ..machinery import keys
from ..machinery.session_generation import GENERATION_KEY
from ..models import TrustedBrowser
from ..services import trusted_browsers
from . import http

COOKIE_NAME = "portal2fa_trusted"
COOKIE_MAX_AGE = 90 * 86400  # the longest trust the policy allows; each row has its own expiry
MAX_TOKENS = 8  # users of one browser remembered at once (the newest win)
TRUST_FIELD = "trust_browser"  # the code pages' checkbox; the passkey POST's query parameter


def tokens(request) -> list[str]:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    return [part for part in raw.split(".") if part][:MAX_TOKENS]


def skip_second_factor(request, user, *, at, client_address, first_factor: str, policy) -> bool:
    """True when this browser is trusted for `user` and the policy and roles let trust count;
    the use is recorded (services). The password (or host login) has already passed."""
    if not trusted_browsers.trust_applies(user, policy):
        return False
    found = trusted_browsers.trusted_browser_use(
        user=user,
        tokens=tokens(request),
        at=at,
        trust_days=policy.trust_days,
        client_address=client_address,
        first_factor=first_factor,
    )
    return found is not None


def offered(user, policy) -> bool:
    """Do the second-factor pages offer "Trust this browser for N days" to this user?"""
    return trusted_browsers.trust_applies(user, policy)


def asked(request, *, in_query: bool = False) -> bool:
    """The box was ticked: the code forms' field; for the passkey's JSON POST (its body is the
    key's answer) the query parameter passkeys.js adds. The query counts only there: a code form
    posts to its page's own URL, whose query a link could have set."""
    if request.method != "POST":
        return False
    return (request.GET if in_query else request.POST).get(TRUST_FIELD) == "1"


def offer(request, user, policy) -> dict:
    """The template context of _trust_browser.html: trust_days is None when not offered."""
    return {
        "trust_days": policy.trust_days if offered(user, policy) else None,
        "trust_field": TRUST_FIELD,
        "trust_checked": asked(request),
    }


def grant_if_asked(request, response, user, *, policy, factor: str, in_query=False) -> bool:
    """The one rule of every second-factor page, called once it passed: trust this browser when
    the user asked and the policy offers it to them (never in "Every sign-in" mode, never for a
    role that always requires the second factor), whatever the request asks."""
    if not (asked(request, in_query=in_query) and offered(user, policy)):
        return False
    grant(request, response, user, at=timezone.now(), policy=policy, factor=factor)
    return True


def grant(request, response, user, *, at, policy, factor: str = "") -> None:
    """Trust this browser for `user`: a new token in the cookie, its keyed hash on the server.
    `factor` (audited) is the second factor that just passed."""
    token = trusted_browsers.new_token()
    granted = trusted_browsers.trusted_browser_grant(
        user=user,
        token=token,
        user_agent=request.headers.get("User-Agent", ""),
        at=at,
        client_address=http.client_address(request),
        policy=policy,
        factor=factor,
        generation=request.session.get(GENERATION_KEY, 0),
    )
    if granted is None:  # a security change ended this session meanwhile: no trust
        return
    kept = _live(tokens(request), at=at)
    value = ".".join([*kept, token][-MAX_TOKENS:])
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def _live(candidates: list[str], *, at) -> list[str]:
    """The tokens that still name a live row (of any user): one query."""
    by_digest = {keys.trusted_browser_digest(token): token for token in candidates if token}
    live = TrustedBrowser.objects.filter(
        token_digest__in=list(by_digest), expires_at__gt=at
    ).values_list("token_digest", flat=True)
    alive = set(live)
    return [token for digest, token in by_digest.items() if digest in alive]
