"""Bearer tokens only: no session cookie is read, so a browser's cookies give no access and there
is no CSRF surface. Each call is throttled per token (in the database, so every worker counts)
and runs under the token's name (the audit events it causes name it)."""

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer

from ...audit.context import set_token
from ...twofactor import keys
from ...twofactor.services.throttle import throttle_reserve
from ..conf import setting
from ..models import Scope
from ..services.tokens import token_authenticate
from .problems import ApiProblem

WINDOW = timedelta(minutes=1)


class BearerToken(HttpBearer):
    openapi_description = (
        "An API token created on Setup → API tokens or with `portal2fa token create`."
    )

    def authenticate(self, request, token):
        at = timezone.now()
        found = token_authenticate(token, at=at)
        if found is None:
            return None
        limit = setting("PORTAL2FA_API_CALLS_PER_MINUTE")
        if (
            throttle_reserve(
                limits=[(keys.throttle_key("api-token", str(found.pk)), limit)],
                window=WINDOW,
                at=at,
            )
            is None
        ):
            raise ApiProblem(
                429,
                "throttled",
                f"This token made {limit} calls in the last minute: wait and try again.",
                headers={"Retry-After": "60"},
            )
        request.api_token = found
        set_token(found.name)
        return found


def require(request, scope: Scope):
    token = request.auth
    if scope not in token.scopes:
        raise ApiProblem(
            403,
            "insufficient-scope",
            f"This call needs a token with the {scope.value!r} scope; "
            f"{token.name!r} has {', '.join(token.scopes)}.",
        )
    return token
