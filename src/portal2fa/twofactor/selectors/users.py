"""Users as the Setup pages list them: name and email from the adapter, the enrollment state as
an enum (one query for a page of users, whatever the user model)."""

from dataclasses import dataclass

from django.db.models import Case, CharField, QuerySet, Value, When

from ..adapter import get_adapter
from ..models import EnrollmentState


@dataclass(frozen=True)
class UserRow:
    pk: object  # the user model's primary key: an integer, a UUID…
    name: str
    email: str
    state: EnrollmentState

    @property
    def resettable(self) -> bool:
        return self.state is not EnrollmentState.NOT_STARTED

    def as_json(self) -> dict:
        return {
            "id": self.pk if isinstance(self.pk, int) else str(self.pk),
            "name": self.name,
            "email": self.email,
            "state": str(self.state.label),
            "resettable": self.resettable,
        }


def with_state(users: QuerySet) -> QuerySet:
    """`users` annotated with `enrollment_state`, an EnrollmentState value."""
    return users.annotate(
        enrollment_state=Case(
            When(authenticator__confirmed_at__isnull=False, then=Value(EnrollmentState.ENROLLED)),
            When(authenticator__isnull=False, then=Value(EnrollmentState.PENDING)),
            default=Value(EnrollmentState.NOT_STARTED),
            output_field=CharField(),
        )
    )


def rows(users) -> list[UserRow]:
    adapter = get_adapter()
    return [
        UserRow(
            pk=user.pk,
            name=adapter.display_name(user),
            email=adapter.email(user),
            state=EnrollmentState(user.enrollment_state),
        )
        for user in users
    ]


def search_active(query: str, *, limit: int) -> list[UserRow]:
    """Active users matching `query` (the Reset tab's User field): 1-2 characters match the start
    of the name or email, longer input anywhere in them (adapter.search_active_ids). Two queries
    whatever the population: the ids, limited first; then those rows with their state, in list
    order."""
    adapter = get_adapter()
    ids = adapter.search_active_ids(query, limit=limit)
    if not ids:
        return []
    found = adapter.users().filter(pk__in=ids).order_by(*adapter.user_ordering())
    return rows(with_state(found)[:limit])


def user_row(pk) -> UserRow | None:
    found = rows(with_state(get_adapter().users().filter(pk=pk))[:1])
    return found[0] if found else None
