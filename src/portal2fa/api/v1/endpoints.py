"""The endpoints. Each names the scope it needs (`auth=`; read when it says none), parses, calls
one selector or service (the same the pages and the CLI call) and answers. Refusals are problem
details (problems.py)."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DataError
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from ...audit.selectors import audit_events
from ...twofactor.adapter import get_adapter
from ...twofactor.machinery.policy import current_policy
from ...twofactor.selectors.access_passes import live_pass
from ...twofactor.selectors.deadlines import user_deadline
from ...twofactor.selectors.overview import Overview
from ...twofactor.selectors.user_detail import user_two_factor
from ...twofactor.selectors.user_list import FilterError, parse_filter, user_page
from ...twofactor.services.access_passes import (
    AccessPassError,
    access_pass_issue,
    access_pass_revoke,
)
from ...twofactor.services.code_locks import NotLocked, code_lock_clear
from ...twofactor.services.deadlines import DeadlineError, deadline_extend
from ...twofactor.services.enrollment import EnrollmentError, enrollment_reset
from ...twofactor.services.settings import EDITABLE_FIELDS, SettingsError, settings_update
from ...twofactor.web.http import client_address
from ..selectors import UnknownRole, find_role
from .auth import AUDIT, PASSES, RESET, SETTINGS
from .problems import PROBLEMS, ApiProblem, not_found

router = Router()


def _bad(error: Exception | str) -> ApiProblem:
    return ApiProblem(400, "bad-request", str(error))


def _user(pk: str):
    model = get_user_model()
    try:
        value = model._meta.pk.to_python(pk)
        user = get_adapter().users().filter(pk=value).first()
    except (ValidationError, ValueError, TypeError, OverflowError, DataError):
        user = None  # junk in the path is no user
    if user is None:
        raise not_found("user")
    return user


def _pk(pk):
    return pk if isinstance(pk, int) else str(pk)


# ---- Overview ----
@router.get("/overview", response={200: dict, **PROBLEMS}, summary="The Overview widgets")
def overview(request, limit: int = 100):
    """The same numbers as the Overview page and `portal2fa overview --json`."""
    if not 0 <= limit <= 1000:
        raise _bad("limit must be between 0 and 1000")
    return Overview(current_policy(), now=timezone.now()).data(limit=limit)


# ---- Users ----
class UserOut(Schema):
    id: int | str
    name: str
    email: str
    roles: list[str]
    state: str
    pending_since: datetime | None
    due_at: datetime | None
    days_overdue: int | None


class UserPageOut(Schema):
    users: list[UserOut]
    next_cursor: str | None


class UserFilters(Schema):
    state: str = ""
    role: str = ""
    method: str = ""
    overdue: bool = False
    cursor: str = ""
    limit: int = 100


@router.get("/users", response={200: UserPageOut, **PROBLEMS}, summary="Users by 2FA state")
def users(request, filters: Query[UserFilters]):
    """Active users, as Setup's user list, its CSV and `portal2fa user list` show them: filtered
    by `state` (enrolled, pending, not_started), `role` (name or id), `method` (totp, passkey:
    enrolled and holding it) and `overdue` (past their due date and not enrolled); in id order
    (overdue: by due date), a page of `limit` at a time: pass `next_cursor` back as `cursor`."""
    if not 1 <= filters.limit <= 1000:
        raise _bad("limit must be between 1 and 1000")
    try:
        role = find_role(filters.role).id if filters.role.strip() else ""
        wanted = parse_filter(
            state=filters.state, role=role, overdue=filters.overdue, method=filters.method
        )
        page = user_page(
            wanted, now=timezone.now(), size=filters.limit, cursor=filters.cursor.strip()
        )
    except (FilterError, UnknownRole) as error:
        raise _bad(error) from None
    return {"users": [row.as_json() for row in page.users], "next_cursor": page.next_cursor}


class EventOut(Schema):
    at: datetime
    action: str
    label: str
    actor: str
    client_address: str | None
    detail: dict


class UserDetailOut(Schema):
    id: int | str
    name: str
    email: str
    roles: list[str]
    active: bool
    state: str
    enrolled_at: datetime | None
    codes_remaining: int | None
    codes_issued: int | None
    last_signin: datetime | None
    failures_since_signin: int
    last_failure: datetime | None
    clock_skew: str
    methods: list[str]
    trusted_browsers: int
    due_at: datetime | None
    days_overdue: int
    snoozes: int
    access_pass_expires_at: datetime | None
    events: list[EventOut]


def _actor(event) -> str:
    if event.actor_token:
        return event.actor_token_label
    return get_adapter().email(event.actor) if event.actor else ""


@router.get("/users/{pk}", response={200: UserDetailOut, **PROBLEMS}, summary="One user's 2FA")
def user_detail(request, pk: str):
    now = timezone.now()
    detail = user_two_factor(_user(pk).pk, now=now)
    assert detail is not None  # _user() found them (or answered 404)
    deadline = user_deadline(detail.pk, now=now)
    assert deadline is not None
    open_pass = live_pass(detail.pk, at=now)
    return {
        "due_at": deadline.due_at,
        "days_overdue": max(0, deadline.days_overdue) if deadline.due_at else 0,
        "snoozes": deadline.snoozes,
        "access_pass_expires_at": open_pass.expires_at if open_pass else None,
        "id": _pk(detail.pk),
        "name": detail.name,
        "email": detail.email,
        "roles": detail.roles,
        "active": detail.active,
        "state": detail.state.value,
        "enrolled_at": detail.enrolled_at,
        "codes_remaining": detail.codes_remaining,
        "codes_issued": detail.codes_issued,
        "last_signin": detail.last_signin,
        "failures_since_signin": detail.failures_since_signin,
        "last_failure": detail.last_failure,
        "clock_skew": detail.skew_text,
        "methods": detail.methods,
        "trusted_browsers": detail.trusted_browsers,
        "events": [
            {
                "at": e.at,
                "action": e.action,
                "label": e.get_action_display(),
                "actor": _actor(e),
                "client_address": e.client_address,
                "detail": e.detail,
            }
            for e in detail.events
        ],
    }


class ResetIn(Schema):
    reason: str = ""


class ResetOut(Schema):
    removed: str
    authenticator_app: bool
    backup_codes: int
    passkeys: int
    trusted_browsers: int


@router.post(
    "/users/{pk}/reset",
    response={200: ResetOut, **PROBLEMS},
    auth=RESET,
    summary="Reset enrollment",
)
def reset(request, pk: str, body: ResetIn | None = None):
    """As Setup → Reset Enrollment: removes the authenticator, backup codes, passkeys and trusted
    browsers, ends the user's sessions, e-mails the notice; audited under the token's name."""
    user = _user(pk)
    reason = body.reason.strip() if body else ""
    if len(reason) > 500 or not reason.isprintable():
        raise _bad("the reason must be printable text of at most 500 characters")
    try:
        summary = enrollment_reset(
            actor=None,
            user=user,
            at=timezone.now(),
            client_address=client_address(request),
            reason=reason,
        )
    except EnrollmentError as error:
        raise ApiProblem(409, "not-enrolled", str(error)) from None
    return {
        "removed": str(summary),
        "authenticator_app": summary.authenticator_app,
        "backup_codes": summary.backup_codes,
        "passkeys": summary.passkeys,
        "trusted_browsers": summary.trusted_browsers,
    }


class Done(Schema):
    detail: str


@router.post(
    "/users/{pk}/unlock", response={200: Done, **PROBLEMS}, auth=RESET, summary="Unlock codes"
)
def unlock(request, pk: str):
    """Lets codes be tried again for a user locked by invalid codes (as the Overview's Unlock)."""
    user = _user(pk)
    try:
        code_lock_clear(
            actor=None, user=user, at=timezone.now(), client_address=client_address(request)
        )
    except NotLocked as error:
        raise ApiProblem(409, "not-locked", str(error)) from None
    return {"detail": "Unlocked."}


# ---- Temporary Access Passes and due dates ----
class PassIn(Schema):
    minutes: int | None = None  # the pass's lifetime; default PORTAL2FA_ACCESS_PASS_MINUTES


class PassOut(Schema):
    access_pass: str
    expires_at: datetime


@router.post(
    "/users/{pk}/access-pass",
    response={201: PassOut, **PROBLEMS},
    auth=PASSES,
    summary="Issue a Temporary Access Pass",
)
def pass_issue(request, pk: str, body: PassIn | None = None):
    """As the Reset tab's Issue: a pass the user signs in with once to enroll again, shown in
    this answer only (stored as a keyed hash); any open pass of theirs is revoked; the user is
    e-mailed. With an `Idempotency-Key` header, a repeat of the same key issues nothing (409):
    issue again without it, which revokes the pass a lost answer carried."""
    user = _user(pk)
    try:
        issued = access_pass_issue(
            actor=None,
            user=user,
            at=timezone.now(),
            client_address=client_address(request),
            minutes=body.minutes if body else None,
            request_id=request.headers.get("Idempotency-Key", "")[:200],
        )
    except AccessPassError as error:
        raise ApiProblem(422, "access-pass-refused", str(error)) from None
    if issued is None:
        raise ApiProblem(
            409, "already-issued", "A pass was already issued for this Idempotency-Key."
        )
    return Status(201, {"access_pass": issued.display, "expires_at": issued.expires_at})


@router.delete(
    "/users/{pk}/access-pass",
    response={200: Done, **PROBLEMS},
    auth=PASSES,
    summary="Revoke the Temporary Access Pass",
)
def pass_revoke(request, pk: str):
    user = _user(pk)
    try:
        access_pass_revoke(
            actor=None, user=user, at=timezone.now(), client_address=client_address(request)
        )
    except AccessPassError as error:
        raise ApiProblem(409, "no-access-pass", str(error)) from None
    return {"detail": "Revoked."}


class ExtendIn(Schema):
    reason: str
    days: int | None = None
    until: date | None = None


class DueOut(Schema):
    due_at: datetime


@router.post(
    "/users/{pk}/due-date",
    response={200: DueOut, **PROBLEMS},
    auth=RESET,
    summary="Extend the enrollment due date",
)
def due_date_extend(request, pk: str, body: ExtendIn):
    """As the per-user view's Extend: `days` more, or `until` a day (the end of it), with a
    reason (audited); the snooze count starts again."""
    user = _user(pk)
    try:
        row = deadline_extend(
            actor=None,
            user=user,
            at=timezone.now(),
            reason=body.reason,
            days=body.days,
            until=body.until,
            client_address=client_address(request),
        )
    except DeadlineError as error:
        raise ApiProblem(422, "due-date-refused", str(error)) from None
    return {"due_at": row.due_at}


# ---- Settings and roles ----
def _settings_values() -> dict:
    policy = current_policy()
    return {name: getattr(policy, name) for name in EDITABLE_FIELDS}


def _roles() -> list[dict]:
    return [
        {
            "id": str(role.id),
            "name": role.name,
            "type": role.type,
            "requires_2fa": role.requires_2fa,
            "methods": list(role.methods),
            "always_second_factor": role.always_second_factor,
        }
        for role in get_adapter().roles()
    ]


class Changed(Schema):
    changes: dict
    settings: dict


@router.get(
    "/settings", response={200: dict, **PROBLEMS}, summary="The 2FA settings", url_name="settings"
)
def settings_read(request):
    return _settings_values()


class SettingsIn(Schema):
    """Any of the settings' fields; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    enrollment_required: bool | None = None
    max_invalid_attempts: int | None = None
    clock_skew_steps: int | None = None
    backup_codes_per_set: int | None = None
    low_codes_threshold: int | None = None
    issuer_name: str | None = None
    email_codes_allowed: bool | None = None
    passkeys_allowed: bool | None = None
    sms_codes_allowed: bool | None = None
    enforcement: str | None = None
    trust_days: int | None = None


@router.patch(
    "/settings",
    response={200: Changed, **PROBLEMS},
    auth=SETTINGS,
    url_name="settings",
    summary="Change settings",
)
def settings_change(request, body: SettingsIn):
    """Any of the settings' fields; validated as a whole (nothing saved when one is wrong) and
    audited old → new, as the Settings tab."""
    try:
        changed = settings_update(
            actor=None,
            changes=body.dict(exclude_unset=True),
            at=timezone.now(),
            client_address=client_address(request),
        )
    except SettingsError as error:
        raise ApiProblem(
            422, "invalid-settings", str(error), extra={"errors": error.errors}
        ) from None
    return {"changes": changed, "settings": _settings_values()}


class RoleOut(Schema):
    id: str
    name: str
    type: str
    requires_2fa: bool
    methods: list[str]
    always_second_factor: bool


class RoleIn(Schema):
    requires_2fa: bool | None = None
    methods: list[str] | None = None
    always_second_factor: bool | None = None


@router.get("/roles", response={200: list[RoleOut], **PROBLEMS}, summary="Security Roles")
def roles(request):
    return _roles()


@router.patch(
    "/roles/{role}", response={200: RoleOut, **PROBLEMS}, auth=SETTINGS, summary="A role's policy"
)
def role_change(request, role: str, body: RoleIn):
    """`role`: its name or id. Require 2FA, the optional methods that count, and "Always require
    the second factor"; audited as a settings change."""
    try:
        found = find_role(role)
    except UnknownRole:
        raise not_found("Security Role") from None
    rid = str(found.id)
    settings_update(
        actor=None,
        changes={},
        at=timezone.now(),
        client_address=client_address(request),
        role_requirements={rid: body.requires_2fa} if body.requires_2fa is not None else None,
        role_methods={rid: body.methods} if body.methods is not None else None,
        role_always_second_factor=(
            {rid: body.always_second_factor} if body.always_second_factor is not None else None
        ),
    )
    return next(r for r in _roles() if r["id"] == rid)


# ---- Audit log ----
class AuditOut(Schema):
    id: int
    at: datetime
    action: str
    label: str
    actor: str
    target: str
    client_address: str | None
    detail: dict


class AuditPage(Schema):
    events: list[AuditOut]
    next_cursor: str | None


class AuditFilters(Schema):
    action: str = ""
    user: str = ""
    date_from: date | None = None
    date_to: date | None = None
    cursor: str = ""
    limit: int = 100


@router.get("/audit", response={200: AuditPage, **PROBLEMS}, auth=AUDIT, summary="The audit log")
def audit(request, filters: Query[AuditFilters]):
    """Newest first. `user`: part of a name or email (as actor or target); `action`: an action
    value ("2fa.enrollment_reset"); dates inclusive, in TIME_ZONE."""
    if not 1 <= filters.limit <= 1000:
        raise _bad("limit must be between 1 and 1000")
    adapter = get_adapter()
    users = adapter.search_users(filters.user.strip()) if filters.user.strip() else None
    events = audit_events(
        users=users, action=filters.action, date_from=filters.date_from, date_to=filters.date_to
    )
    if filters.cursor:
        try:
            before = int(filters.cursor, 36)
        except ValueError:
            raise _bad("the cursor is not one this API gave") from None
        events = events.filter(pk__lt=before)
    page = list(events.order_by("-id")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "events": [
            {
                "id": e.pk,
                "at": e.at,
                "action": e.action,
                "label": e.get_action_display(),
                "actor": _actor(e),
                "target": adapter.email(e.target) if e.target else "",
                "client_address": e.client_address,
                "detail": e.detail,
            }
            for e in page
        ],
        "next_cursor": _base36(page[-1].pk) if more else None,
    }


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out
