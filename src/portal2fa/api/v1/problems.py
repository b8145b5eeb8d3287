"""Errors as RFC 9457 problem details (application/problem+json): a type, a title, the HTTP
status and a detail saying what to fix."""

from http import HTTPStatus

from django.http import JsonResponse
from ninja import Schema

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:portal2fa:problem:"


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str = ""


class ApiProblem(Exception):
    def __init__(self, status: int, kind: str, detail: str, *, headers=None, extra=None):
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.headers, self.extra = headers or {}, extra or {}


def problem_response(status: int, kind: str, detail: str, *, headers=None, extra=None):
    body = {
        "type": f"{TYPE_BASE}{kind}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    response = JsonResponse(body, status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"No such {what}.")


PROBLEMS = {code: Problem for code in (400, 401, 403, 404, 409, 422, 429)}
