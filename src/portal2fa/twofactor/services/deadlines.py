"""Each user's enrollment due date (EnrollmentDeadline), kept to the due rules of their roles.

The rule (core/deadlines.py, kept per role by the adapter) says when a role that requires 2FA wants its
users enrolled. A user's date:
- starts when the requirement reaches them (`starts_at`: a role starts to require 2FA, they join
  such a role, their account is created in one) and stays while any role of theirs requires 2FA;
- is the EARLIEST that their requiring roles give from `starts_at` (the strictest role wins; a
  role "at the next sign-in" gives no grace at all, so the user has no row);
- is never before an administrator's extension (`extended_until`);
- is recomputed from `starts_at` when a rule changes, so "within 14 days" becoming "within 30
  days" moves every waiting user's date by 16 days, and "at the next sign-in" removes them.

Every write here is set-based (INSERT .. SELECT, UPDATE .. WHERE user IN (subquery)): changing a
role's rule at a million users runs a handful of statements, never a loop over users. The loops
below run over roles.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    Field,
    Func,
    OuterRef,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Least, NullIf
from django.utils.translation import gettext, ngettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ..adapter import HostUser, Role, get_adapter
from ..core import deadlines
from ..machinery import local_days
from ..models import Authenticator, EnrollmentDeadline

# Larger than any date a rule gives and any snooze limit: the neutral terms of the minimum.
_NO_DUE_YET = datetime(9999, 1, 1, tzinfo=UTC)
_NO_LIMIT = 32767


class DeadlineError(ValueError):
    """An extension that cannot be made; the message is safe to show. Nothing was changed."""


def _too_late() -> str:
    return gettext(deadlines.TOO_LATE) % {"day": deadlines.LAST_DUE_DAY.isoformat()}


def role_members(role_ids: list[str]) -> QuerySet[Any]:
    """The primary keys of the users in any of these roles (a subquery)."""
    adapter = get_adapter()
    members = adapter.users().order_by().filter(**{f"{adapter.role_lookup()}__in": role_ids})
    return members.values("pk")


def deadlines_refresh(
    *,
    users: QuerySet[Any],
    at: datetime,
    roles: list[Role] | None = None,
    all_required: bool = False,
) -> None:
    """Bring the due dates of `users` (a queryset of the host's users) in line with their roles'
    rules, as of `at`, inside the caller's transaction (or its own). `all_required`: the caller
    knows each of them is in a role that requires 2FA (no date to drop for that reason)."""
    roles = get_adapter().roles() if roles is None else roles
    requiring = [role for role in roles if role.requires_2fa]
    scope = users.order_by().values("pk")
    rows = EnrollmentDeadline.objects.filter(user__in=scope)
    with transaction.atomic():
        if not requiring:
            rows.delete()
            return
        if not all_required:
            rows.exclude(user__in=role_members([r.id for r in requiring])).delete()
        grace = [role.id for role in requiring if role.deadline.gives_grace]
        if grace:
            _insert_missing(scope, grace, at=at)
        # One UPDATE: the earliest date and the smallest snooze limit over the user's requiring
        # roles (the strictest wins), each role's term counted only where the user is a member.
        limited = [
            role
            for role in requiring
            if role.deadline.gives_grace and role.deadline.snooze_limit is not None
        ]
        rows.update(
            due_at=_smallest(
                [
                    _if_member(role, _due_expression(role.deadline), _NO_DUE_YET)
                    for role in requiring
                ]
            ),
            snooze_limit=NullIf(
                _smallest(
                    [_if_member(r, _limit(r.deadline.snooze_limit), _NO_LIMIT) for r in limited]
                )
                if limited
                else _limit(_NO_LIMIT),
                _limit(_NO_LIMIT),
            ),
        )
        extended = rows.filter(extended_until__isnull=False, extended_until__gt=F("due_at"))
        extended.update(due_at=F("extended_until"))
        if any(not role.deadline.gives_grace for role in requiring):
            # A role "at the next sign-in" among theirs: no grace (and no row), as before.
            rows.filter(due_at=F("starts_at"), extended_until__isnull=True).delete()


def _if_member(role: Role, then: Combinable, otherwise: datetime | int) -> Case:
    """`then` for a row whose user is in `role`, else the constant `otherwise`."""
    adapter = get_adapter()
    member = (
        adapter.users()
        .order_by()
        .filter(pk=OuterRef("user_id"), **{adapter.role_lookup(): role.id})
    )
    field: Field[Any, Any] = (
        DateTimeField() if isinstance(otherwise, datetime) else PositiveSmallIntegerField()
    )
    return Case(
        When(Exists(member), then=then),
        default=Value(otherwise, output_field=field),
        output_field=field,
    )


def _smallest(expressions: list[Combinable]) -> Combinable:
    return expressions[0] if len(expressions) == 1 else Least(*expressions)


def _limit(value: int | None) -> Value:
    return Value(value, output_field=PositiveSmallIntegerField())


def _insert_missing(scope: QuerySet[Any], grace_role_ids: list[str], *, at: datetime) -> None:
    """One INSERT .. SELECT: a row (starting now) for each user in scope and in a role that gives
    grace who has none and is not enrolled. Its date is set by the caller's recompute."""
    adapter = get_adapter()
    candidates = (
        adapter.users()
        .order_by()
        .filter(pk__in=scope, **{f"{adapter.role_lookup()}__in": grace_role_ids})
        .exclude(Exists(EnrollmentDeadline.objects.filter(user_id=OuterRef("pk"))))
        .exclude(
            Exists(Authenticator.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False))
        )
        .values("pk")
        .distinct()
    )
    select, params = candidates.query.sql_with_params()
    quote = connection.ops.quote_name
    at_value = connection.ops.adapt_datetimefield_value(at)
    # Names quoted from the model, values as parameters; the SELECT is the ORM's own.
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT in an INSERT .. SELECT.
    table = quote(EnrollmentDeadline._meta.db_table)
    columns = ", ".join(map(quote, ("user_id", "starts_at", "due_at", "snoozes")))
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT candidates.*, %s, %s, 0 "  # noqa: S608
        f"FROM ({select}) candidates WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [at_value, at_value, *params])


def _due_expression(rule: deadlines.DueRule) -> Combinable:
    if rule.kind == deadlines.BY_DATE:
        assert rule.by is not None  # a rule by a date has its date
        return Value(local_days.end_of_day(rule.by), output_field=DateTimeField())
    if rule.kind == deadlines.WITHIN_DAYS:
        assert rule.days is not None  # and one within days its days
        # SQLite: its own date arithmetic, not Django's Python function per row. datetime() drops
        # the fraction of a second; whole days never change it, so it is appended back as stored.
        if connection.vendor == "sqlite":
            return Func(
                F("starts_at"),
                template=f"datetime(%(expressions)s, '+{int(rule.days)} days') "
                "|| substr(%(expressions)s, 20)",
                output_field=DateTimeField(),
            )
        return F("starts_at") + Value(timedelta(days=rule.days))
    return F("starts_at")  # at the next sign-in: due when it reached them


def role_deadlines_refresh(*, role_ids: list[str], at: datetime) -> None:
    """After the requirement or the rule of these roles changed: their users' dates."""
    if not role_ids:
        return
    roles = get_adapter().roles()
    required = {role.id for role in roles if role.requires_2fa}
    deadlines_refresh(
        users=get_adapter().users().filter(pk__in=role_members(role_ids)),
        at=at,
        roles=roles,
        all_required=set(role_ids) <= required,
    )


def user_deadline_refresh(*, user: HostUser, at: datetime, new: bool = False) -> None:
    """After this user's roles changed, or (`new`) their account was created: a new account has
    no date to change, so unless some role gives grace this costs one query (the roles)."""
    roles = get_adapter().roles()
    if new and not any(role.requires_2fa and role.deadline.gives_grace for role in roles):
        return
    deadlines_refresh(users=get_adapter().users().filter(pk=user.pk), at=at, roles=roles)


def deadline_snooze(*, user_id: int, at: datetime) -> bool:
    """Count one "Remind me later", if the date has not passed and the limit allows: one
    conditional UPDATE, so two parallel clicks cannot both pass the last allowed snooze."""
    allowed = Q(snooze_limit__isnull=True) | Q(snoozes__lt=F("snooze_limit"))
    return bool(
        EnrollmentDeadline.objects.filter(allowed, user_id=user_id, due_at__gt=at).update(
            snoozes=F("snoozes") + 1
        )
    )


def deadline_extend(
    *,
    actor: HostUser | None,
    user: HostUser,
    at: datetime,
    reason: str,
    days: int | None = None,
    until: date | None = None,
    client_address: str | None = None,
) -> EnrollmentDeadline:
    """Give one user a later due date: `days` more (counted from their date, or from now when it
    has passed) or `until` the end of a day. Their snooze count starts again. A user whose roles
    enroll them "at the next sign-in" gets a date this way too. Audited with the reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500 or not reason.isprintable():
        raise DeadlineError(gettext("Give a reason: printable text of at most 500 characters."))
    if (days is None) == (until is None):
        raise DeadlineError(gettext("Give either a number of days or a date."))
    if days is not None and not 1 <= days <= deadlines.EXTEND_DAYS_MAX:
        raise DeadlineError(
            ngettext(
                "Extend by 1 to %(max)s days.",
                "Extend by 1 to %(max)s days.",
                deadlines.EXTEND_DAYS_MAX,
            )
            % {"max": deadlines.EXTEND_DAYS_MAX}
        )
    if not get_adapter().user_requires_2fa(user):
        raise DeadlineError(gettext("No role of this user requires two-factor authentication."))
    with transaction.atomic():
        row = EnrollmentDeadline.objects.select_for_update().filter(user_id=user.pk).first()
        if Authenticator.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists():
            raise DeadlineError(gettext("This user is enrolled: there is no due date to extend."))
        old = row.due_at if row else at
        if days is not None:
            new = max(old, at) + timedelta(days=days)
        else:
            assert until is not None  # one of the two, checked above
            if until > deadlines.LAST_DUE_DAY:
                raise DeadlineError(_too_late())
            new = local_days.end_of_day(until)
            if new <= max(old, at):
                raise DeadlineError(
                    gettext("Choose a date after the current due date and after today.")
                )
        if new > local_days.end_of_day(deadlines.LAST_DUE_DAY):
            raise DeadlineError(_too_late())
        if row is None:
            row = EnrollmentDeadline(user_id=user.pk, starts_at=at)
        row.due_at = row.extended_until = new
        row.snoozes = 0
        row.save()
        record(
            Action.DEADLINE_EXTENDED,
            Origin(actor, user, client_address, at),
            changes={"due": [old.isoformat(), new.isoformat()]},
            reason=reason,
        )
    return row
