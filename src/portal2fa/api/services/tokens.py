"""API tokens: created (shown once, kept as a keyed hash), authenticated, revoked. Audited."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ...twofactor.machinery import keys
from ..models import ApiToken, Scope

TOKEN_PREFIX = "p2fa_"
NAME_MAX = 100


class TokenError(ValueError):
    """A refused token change, with the reason to show."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the bearer token itself: shown once, never stored


def _clean_scopes(scopes) -> list[str]:
    wanted = sorted({str(s).strip() for s in scopes if str(s).strip()})
    unknown = [s for s in wanted if s not in Scope.values]
    if unknown:
        raise TokenError(
            gettext("unknown scope %(scope)s: choose from %(scopes)s")
            % {"scope": repr(unknown[0]), "scopes": ", ".join(Scope.values)}
        )
    if not wanted:
        raise TokenError(
            gettext("give the token at least one scope (%(scopes)s)")
            % {"scopes": ", ".join(Scope.values)}
        )
    return wanted


def token_create(
    *, actor, name: str, scopes, at: datetime, expires_at=None, client_address=None
) -> NewToken:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise TokenError(
            gettext("the name must be printable text of 1 to %(max)s characters")
            % {"max": NAME_MAX}
        )
    scopes = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= at:
        raise TokenError(gettext("the expiry must be in the future"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                digest=keys.token_digest(secret),
                prefix=secret[: len(TOKEN_PREFIX) + 6],
                scopes=scopes,
                created_at=at,
                created_by=actor,
                expires_at=expires_at,
            )
            record(
                Action.API_TOKEN_CREATED,
                Origin(actor, None, client_address, at),
                token=name,
                scopes=", ".join(scopes),
                expires=expires_at.isoformat() if expires_at else "never",
            )
    except IntegrityError:
        raise TokenError(
            gettext("a token named %(name)s exists: revoke it or choose another name")
            % {"name": repr(name)}
        ) from None
    return NewToken(token, secret)


def token_revoke(*, actor, token_id: int, at: datetime, client_address=None) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise TokenError(gettext("no such token"))
        if token.revoked_at is not None:
            raise TokenError(
                gettext("the token %(name)s is already revoked") % {"name": repr(token.name)}
            )
        token.revoked_at = at
        token.save(update_fields=["revoked_at"])
        record(Action.API_TOKEN_REVOKED, Origin(actor, None, client_address, at), token=token.name)
    return token


def token_authenticate(secret: str, *, at: datetime) -> ApiToken | None:
    """The live token `secret` is, or None. Its last use is written at most once a minute (a
    busy token does not rewrite its row on every call)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.filter(digest=keys.token_digest(secret)).first()
    if token is None or not token.live(at):
        return None
    if token.last_used_at is None or (at - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
        token.last_used_at = at
    return token


def live_tokens(*, at: datetime):
    return ApiToken.objects.filter(revoked_at__isnull=True).select_related("created_by")
