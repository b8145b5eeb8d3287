"""The 2FA user list: active users filtered by enrollment state, Security Role and "overdue", with
"Pending since" (when their pending authenticator was issued) and "Due" (their enrollment due date).

One filter feeds the Setup page, its CSV, `portal2fa user list` and the Overview's links. Pages are
keyset pages (the rows after a cursor, never an OFFSET): the user id order, or for the overdue the
due date then the id, each walked through an index (partial indexes on the authenticators, the
deadlines' `due_at`, the demo's role index), so a page costs the same at any depth of a million
users (bench/lists.py).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..adapter import Role, get_adapter
from ..models import Authenticator, EnrollmentState
from .overdue import days_overdue
from .plans import serial_plan
from .users import with_state

STATE_NAMES = {state.value: state for state in EnrollmentState} | {
    "not-started": EnrollmentState.NOT_STARTED
}
# Pending and Not Started together: everyone a rollout still has to reach, in one list.
NOT_ENROLLED = "not_enrolled"
NOT_ENROLLED_NAMES = (NOT_ENROLLED, "not-enrolled")
# The list's heading for a state ("Pending users in Finance, overdue": UserFilter.describe).
STATE_USERS = {
    EnrollmentState.ENROLLED: _("Enrolled users"),
    EnrollmentState.PENDING: _("Pending users"),
    EnrollmentState.NOT_STARTED: _("Not Started users"),
}
# English and stable whatever the reader's language: scripts read the CSV by these names.
CSV_HEADER = ("Name", "Email", "Role", "2FA", "Pending since", "Due", "Days overdue")
CHUNK = 2000


class FilterError(ValueError):
    """A filter the list cannot apply: the message says which part and why."""


# Filter by a method the user is enrolled with (the admin API's `method`).
METHOD_NAMES = ("totp", "passkey")


@dataclass(frozen=True)
class UserFilter:
    state: EnrollmentState | None = None
    not_enrolled: bool = False  # Pending or Not Started (state is then None)
    role: Role | None = None
    overdue: bool = False
    method: str = ""  # one of METHOD_NAMES: enrolled and holding it

    @property
    def params(self) -> dict[str, str]:
        """The filter as the list's query parameters (links, forms, the next page)."""
        params = {}
        if self.state:
            params["state"] = self.state.value
        if self.not_enrolled:
            params["state"] = NOT_ENROLLED
        if self.role:
            params["role"] = self.role.id
        if self.overdue:
            params["overdue"] = "1"
        if self.method:
            params["method"] = self.method
        return params

    @property
    def query(self) -> str:
        return urlencode(self.params)

    def as_json(self) -> dict:
        return {
            "state": self.state.value
            if self.state
            else (NOT_ENROLLED if self.not_enrolled else None),
            "role": self.role.name if self.role else None,
            "overdue": self.overdue,
        }

    def describe(self) -> str:
        """ "Pending users in Finance, overdue"."""
        who = STATE_USERS[self.state] if self.state else gettext("Active users")
        if self.not_enrolled:
            who = gettext("Users not enrolled")
        if self.role:
            who = gettext("%(users)s in %(role)s") % {"users": who, "role": self.role.name}
        return gettext("%(users)s, overdue") % {"users": who} if self.overdue else str(who)


def parse_filter(
    *,
    state: str = "",
    role: str = "",
    overdue: bool = False,
    method: str = "",
    roles: list[Role] | None = None,
) -> UserFilter:
    """The filter from its parameters: a state name, a role id among `roles` (default: the
    adapter's)."""
    state = (state or "").strip().lower()
    if state and state not in STATE_NAMES and state not in NOT_ENROLLED_NAMES:
        raise FilterError(gettext("The state is enrolled, pending, not_started or not_enrolled."))
    found = None
    if (role or "").strip():
        roles = get_adapter().roles() if roles is None else roles
        found = next((r for r in roles if r.id == role.strip()), None)
        if found is None:
            raise FilterError(gettext("No such Security Role."))
    method = (method or "").strip().lower()
    if method and method not in METHOD_NAMES:
        raise FilterError(
            gettext("The method is %(methods)s.") % {"methods": " or ".join(METHOD_NAMES)}
        )
    return UserFilter(
        state=STATE_NAMES.get(state),
        not_enrolled=state in NOT_ENROLLED_NAMES,
        role=found,
        overdue=overdue,
        method=method,
    )


@dataclass(frozen=True)
class ListedUser:
    pk: object
    name: str
    email: str
    roles: list[str]
    state: EnrollmentState
    pending_since: datetime | None
    due_at: datetime | None
    days_overdue: int | None

    def csv_row(self) -> tuple:
        return (
            self.name,
            self.email,
            ", ".join(self.roles),
            str(self.state.label),
            self.pending_since,
            self.due_at,
            self.days_overdue,
        )

    def as_json(self) -> dict:
        return {
            "id": self.pk if isinstance(self.pk, int) else str(self.pk),
            "name": self.name,
            "email": self.email,
            "roles": self.roles,
            "state": self.state.value,
            "pending_since": self.pending_since and self.pending_since.isoformat(),
            "due_at": self.due_at and self.due_at.isoformat(),
            "days_overdue": self.days_overdue,
        }


@dataclass(frozen=True)
class UserPage:
    users: list[ListedUser]
    next_cursor: str | None  # None: the last page


def _users(wanted: UserFilter, *, now: datetime) -> QuerySet:
    adapter = get_adapter()
    users = with_state(adapter.active_users()).annotate(
        pending_since=Case(
            When(authenticator__confirmed_at__isnull=True, then=F("authenticator__created_at"))
        ),
        due_at=F("portal2fa_deadline__due_at"),
    )
    if wanted.state is EnrollmentState.ENROLLED:
        users = users.filter(authenticator__confirmed_at__isnull=False)
    elif wanted.state is EnrollmentState.PENDING:
        users = users.filter(authenticator__isnull=False, authenticator__confirmed_at__isnull=True)
    elif wanted.state is EnrollmentState.NOT_STARTED:
        # NOT EXISTS, not the join's "id IS NULL": PostgreSQL plans an anti join (walking both
        # primary-key orders) only for the former; the latter it sorted a million rows for
        users = users.filter(~Exists(Authenticator.objects.filter(user_id=OuterRef("pk"))))
    elif wanted.not_enrolled:  # NOT EXISTS for the same reason
        confirmed = Authenticator.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False)
        users = users.filter(~Exists(confirmed))
    if wanted.state in (EnrollmentState.ENROLLED, EnrollmentState.PENDING):
        # user_active mirrors is_active: it lets the database walk the partial index of the state
        users = users.filter(authenticator__user_active=True)
    if wanted.role:
        users = users.filter(**{adapter.role_lookup(): wanted.role.id})
    if wanted.method:
        holding = Q(authenticator__passkeys__gt=0)
        if wanted.method == "totp":
            holding = ~Q(authenticator__encrypted_secret="")
        users = users.filter(
            holding, authenticator__confirmed_at__isnull=False, authenticator__user_active=True
        )
    if wanted.overdue:
        enrolled = Authenticator.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False)
        users = users.filter(portal2fa_deadline__due_at__lt=now).filter(~Exists(enrolled))
        users = users.order_by("portal2fa_deadline__due_at", "pk")
    else:
        users = users.order_by("pk")
    if hasattr(get_user_model(), "groups"):
        users = users.prefetch_related("groups")
    return users


def _after(users: QuerySet, wanted: UserFilter, cursor: str) -> QuerySet:
    """The rows after `cursor` (the last row of the previous page) in the list's order."""
    pk_field = get_user_model()._meta.pk
    try:
        if wanted.overdue:
            due_text, _, pk_text = cursor.rpartition("~")
            due_at, pk = parse_datetime(due_text), pk_field.to_python(pk_text)
            if due_at is None or pk is None:
                raise ValueError
            # (due, id) > (due_at, pk), its first term alone so an index on the date serves it
            return users.filter(portal2fa_deadline__due_at__gte=due_at).filter(
                Q(portal2fa_deadline__due_at__gt=due_at) | Q(pk__gt=pk)
            )
        return users.filter(pk__gt=pk_field.to_python(cursor))
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise FilterError(
            gettext("This page link is damaged: start from the first page.")
        ) from None


def _cursor(user: ListedUser, wanted: UserFilter) -> str:
    if wanted.overdue and user.due_at is not None:  # (every user of that list has a due date)
        return f"{user.due_at.isoformat()}~{user.pk}"
    return str(user.pk)


def _listed(users, *, now: datetime) -> Iterator[ListedUser]:
    adapter = get_adapter()
    for user in users:
        yield ListedUser(
            pk=user.pk,
            name=adapter.display_name(user),
            email=adapter.email(user),
            roles=adapter.role_names(user),
            state=EnrollmentState(user.enrollment_state),
            pending_since=user.pending_since,
            due_at=user.due_at,
            days_overdue=days_overdue(user.due_at, now=now)
            if user.enrollment_state != EnrollmentState.ENROLLED
            else None,
        )


def user_page(wanted: UserFilter, *, now: datetime, size: int, cursor: str = "") -> UserPage:
    """One page of `size` users after `cursor` ("": the first page). One query (two with Groups;
    for overdue with a state or a role on PostgreSQL one more, the SET LOCAL of serial_plan)."""
    users = _users(wanted, now=now)
    if cursor:
        users = _after(users, wanted, cursor)
    with serial_plan(wanted.overdue and bool(wanted.state or wanted.not_enrolled or wanted.role)):
        listed = list(_listed(users[: size + 1], now=now))
    more = len(listed) > size
    listed = listed[:size]
    return UserPage(listed, _cursor(listed[-1], wanted) if more else None)


def all_users(wanted: UserFilter, *, now: datetime) -> Iterator[ListedUser]:
    """Every user of the filter, in list order, streamed (the CSV, the CLI)."""
    return _listed(_users(wanted, now=now).iterator(chunk_size=CHUNK), now=now)
