"""The API's user list: filtered by 2FA state, role, method and overdue, in primary-key order, a
page at a time after a cursor (keyset: page N costs what page 1 does)."""

import base64
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from ..twofactor.adapter import get_adapter
from ..twofactor.models import EnrollmentState
from ..twofactor.selectors.users import rows, with_state

STATES = {state.value: state for state in EnrollmentState}
METHODS = ("totp", "passkey")


class BadFilter(ValueError):
    pass


def encode_cursor(pk) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def decode_cursor(cursor: str):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return get_adapter().users().model._meta.pk.to_python(text)
    except (ValueError, UnicodeDecodeError, ValidationError, TypeError):
        raise BadFilter("the cursor is not one this API gave") from None


def find_role(name_or_id: str):
    wanted = name_or_id.strip().casefold()
    for role in get_adapter().roles():
        if role.name.casefold() == wanted or str(role.id) == name_or_id.strip():
            return role
    raise BadFilter(f"no Security Role named {name_or_id!r}")


def filtered_users(
    *, state="", role="", method="", overdue=False, search="", at: datetime | None = None
) -> QuerySet:
    adapter = get_adapter()
    users = adapter.search_users(search.strip()) if search.strip() else adapter.users()
    if state:
        if state not in STATES:
            raise BadFilter(f"state must be one of {', '.join(STATES)}")
        users = {
            EnrollmentState.ENROLLED: users.filter(authenticator__confirmed_at__isnull=False),
            EnrollmentState.PENDING: users.filter(
                authenticator__isnull=False, authenticator__confirmed_at__isnull=True
            ),
            EnrollmentState.NOT_STARTED: users.filter(authenticator__isnull=True),
        }[STATES[state]]
    if role:
        users = users.filter(**{adapter.role_lookup(): find_role(role).id})
    if method:
        if method not in METHODS:
            raise BadFilter(f"method must be one of {', '.join(METHODS)}")
        enrolled = users.filter(authenticator__confirmed_at__isnull=False)
        users = (
            enrolled.exclude(authenticator__encrypted_secret="")
            if method == "totp"
            else enrolled.filter(authenticator__passkeys__gt=0)
        )
    if overdue:  # past their due date and not enrolled
        users = users.filter(portal2fa_deadline__due_at__lt=at or timezone.now()).exclude(
            authenticator__confirmed_at__isnull=False
        )
    return users


def user_page(users: QuerySet, *, cursor: str = "", limit: int = 100):
    """(rows, next cursor or None)."""
    if cursor:
        users = users.filter(pk__gt=decode_cursor(cursor))
    page = rows(with_state(users.order_by("pk"))[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor(page[-1].pk) if more else None
