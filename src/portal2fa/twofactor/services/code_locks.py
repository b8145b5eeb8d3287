"""An administrator unlocks a second factor that invalid codes locked (the Setup page, the CLI)."""

from datetime import datetime

from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from ..adapter import HostUser, get_adapter
from ..machinery.code_budget import user_guard
from ..machinery.session_generation import sessions_end_others
from ..models import CodeGuessBudget


class NotLocked(Exception):
    """code_lock_clear() for a user whose second factor is not locked; the message is safe."""


def code_lock_clear(
    *, actor: HostUser, user: HostUser, at: datetime, client_address: str | None = None
) -> None:
    """An administrator unlocks a second factor locked by invalid codes: audited."""
    with user_guard(user.pk):
        budget = CodeGuessBudget.objects.filter(pk=user.pk, locked_at__isnull=False).first()
        if budget is None:
            raise NotLocked(
                gettext("Two-factor authentication for %(name)s is not locked.")
                % {"name": get_adapter().display_name(user)}
            )
        budget.delete()
        record(
            Action.CODE_UNLOCKED,
            Origin(actor, user, client_address, at),
            locked_since=budget.locked_at.isoformat() if budget.locked_at else None,
            consecutive_failures=budget.consecutive_failures,
        )
        # Someone who knows the password was trying codes: any session of theirs (held at the
        # second factor, say) ends now; the owner signs in afresh.
        sessions_end_others(user=user)
