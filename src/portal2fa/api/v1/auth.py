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
    """The token, checked for `scope` before the request body is read (a read token's write
    is a 403 whatever it sends)."""

    openapi_description = (
        "An API token created on Setup → API tokens or with `portal2fa token create`."
    )

    def __init__(self, scope: Scope):
        super().__init__()
        self.scope = scope

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
        if self.scope not in found.scopes:
            raise ApiProblem(
                403,
                "insufficient-scope",
                f"This call needs a token with the {self.scope.value!r} scope; "
                f"{found.name!r} has {', '.join(found.scopes)}.",
            )
        return found


READ, RESET, PASSES, SETTINGS, AUDIT = (BearerToken(scope) for scope in Scope)
