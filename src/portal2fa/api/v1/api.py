"""The NinjaAPI object: bearer auth on every operation, problem details for every refusal."""

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .auth import READ
from .endpoints import router
from .problems import CONTENT_TYPE, ApiProblem, problem_response

log = logging.getLogger(__name__)


class ProblemsApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error responses documented as what they are: application/problem+json."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status).startswith(("4", "5")) and "content" in response:
                        response["content"] = {CONTENT_TYPE: response["content"].popitem()[1]}
        return schema


api = ProblemsApi(
    title="Portal 2FA admin API",
    version="1",
    description=(
        "Users, the Overview, resets, unlocks, settings, roles and the audit log of Portal 2FA. "
        "Bearer tokens with scopes (read, reset, passes, settings, audit); errors are RFC 9457 "
        "problem details."
    ),
    # Bearer only: no cookie is ever read, so a third-party page cannot make a browser's call
    # count (no CSRF surface; django-ninja exempts such operations from CSRF checks).
    auth=READ,  # each write names the scope it needs (endpoints.py)
    docs_url=None,  # the interactive docs load scripts from a CDN (the CSP forbids it)
    urls_namespace="portal2fa_api:v1",  # included as "v1" inside the app's urls
)
api.add_router("/", router)


@api.exception_handler(ApiProblem)
def _problem(request, error: ApiProblem):
    return problem_response(
        error.status, error.kind, error.detail, headers=error.headers, extra=error.extra
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return problem_response(
        401,
        "unauthenticated",
        "Send a live API token: Authorization: Bearer <token>.",
        headers={"WWW-Authenticate": 'Bearer realm="portal2fa"'},
    )


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    return problem_response(
        422,
        "invalid-request",
        "The request does not match the API's schema: see errors.",
        extra={"errors": [{"loc": e.get("loc"), "msg": e.get("msg")} for e in error.errors]},
    )


@api.exception_handler(Http404)
def _not_found(request, error):
    return problem_response(404, "not-found", "No such resource.")


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return problem_response(error.status_code, "http-error", str(error))


@api.exception_handler(Exception)
def _unexpected(request, error):
    log.exception("API call failed")
    return problem_response(500, "server-error", "The server failed; the error is logged.")
