"""A user's enrollment reminders, for their 2FA view: the last one and whether one may go now."""

from dataclasses import dataclass

from ..models import EnrollmentReminder


@dataclass(frozen=True)
class UserReminders:
    last: EnrollmentReminder | None


def user_reminders(pk) -> UserReminders:
    """One query: the user's newest reminder (its sender with it)."""
    last = (
        EnrollmentReminder.objects.filter(user_id=pk)
        .select_related("sent_by")
        .order_by("-claimed_at", "-pk")
        .first()
    )
    return UserReminders(last=last)
