"""Bearer tokens only: no session cookie is read, so a browser's cookies give no access and there
is no CSRF surface. Each call is counted per token for the rate limit and audited, in the
database (every worker counts), and runs under the token's name (the audit events it causes name
it)."""

from django.db import transaction
from django.utils import timezone
from ninja.security import HttpBearer

from ...audit.context import set_token
from ...audit.models import Action
from ...audit.services import Origin, record
from ...twofactor.web.http import client_address
from ..conf import setting
from ..models import Scope
from ..services.rate import call_count, seconds_left
from ..services.tokens import token_authenticate
from .problems import ApiProblem


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
        request.api_token = found
        set_token(found.name)
        limit = setting("PORTAL2FA_API_CALLS_PER_MINUTE")
        # The call is counted and audited (refused or not) in one transaction: one commit.
        with transaction.atomic():
            calls = call_count(token_id=found.pk, at=at)
            record(
                Action.API_CALL,
                Origin(None, None, client_address(request), at),
                method=request.method,
                path=request.path,
            )
        if calls > limit:
            raise ApiProblem(
                429,
                "throttled",
                f"This token made {limit} calls this minute: wait and try again.",
                headers={"Retry-After": str(seconds_left(at))},
            )
        if self.scope not in found.scopes:
            raise ApiProblem(
                403,
                "insufficient-scope",
                f"This call needs a token with the {self.scope.value!r} scope; "
                f"{found.name!r} has {', '.join(found.scopes)}.",
            )
        return found


READ, RESET, PASSES, SETTINGS, AUDIT = (BearerToken(scope) for scope in Scope)
