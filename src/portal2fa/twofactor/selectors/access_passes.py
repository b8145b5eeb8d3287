"""Reads of Temporary Access Passes: a user's live pass, and whether a sign-in needs one."""

from datetime import datetime

from ..models import ReenrollmentDue, SignInChallenge, TemporaryAccessPass, TwoFactorSettings


def live_pass(user_id, *, at: datetime) -> TemporaryAccessPass | None:
    """The user's open pass before its time (at most one), with who issued it."""
    return (
        TemporaryAccessPass.objects.select_related("issued_by")
        .filter(user_id=user_id, ended_at=None, expires_at__gt=at)
        .first()
    )


def pass_needed(challenge: SignInChallenge, policy: TwoFactorSettings) -> bool:
    """The Settings tab asks for a pass after a reset, this user's enrollment was reset (and not
    set up since), and no pass was accepted on this sign-in: no enrollment may start on it."""
    return (
        policy.reset_needs_access_pass
        and challenge.access_pass_at is None
        and ReenrollmentDue.objects.filter(user_id=challenge.user_id).exists()
    )
