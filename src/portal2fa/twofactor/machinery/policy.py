"""Reads of the 2FA policy and of a user's enrollment state, and the sign-in decision they drive."""

import enum
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..adapter import get_adapter
from ..conf import setting
from ..core.methods import TOTP, site_methods
from ..models import (
    Authenticator,
    EnrollmentState,
    ReenrollmentDue,
    SessionGeneration,
    TwoFactorSettings,
)
from ..selectors.deadlines import signin_grace


def current_policy() -> TwoFactorSettings:
    """The policy row. A migration creates it; it is recreated with the defaults only if a
    database was emptied without migrating (a flushed test database)."""
    try:
        return TwoFactorSettings.objects.get(pk=1)
    except TwoFactorSettings.DoesNotExist:
        return TwoFactorSettings.objects.get_or_create(pk=1)[0]


def allowed_methods(user, policy) -> set[str]:
    """The methods this user may use now: the Settings tab's AND their roles'. Always TOTP."""
    return {TOTP} | (site_methods(policy) & get_adapter().role_methods(user))


def issuer(policy: TwoFactorSettings) -> str:
    return policy.issuer_name or setting("PORTAL2FA_SITE_NAME")


def authenticator_of(user) -> Authenticator | None:
    return Authenticator.objects.filter(user=user).first()


def authenticator_and_generation(user) -> tuple[Authenticator | None, int | None]:
    """The user's authenticator and, in the same statement, their session generation (0 without
    a row): the password step needs both, and an enrolled user is the usual case. Without an
    authenticator the generation is not read: (None, None)."""
    generation = SessionGeneration.objects.filter(user_id=OuterRef("user_id")).values("generation")
    authenticator = (
        Authenticator.objects.filter(user=user)
        .annotate(portal2fa_generation=Subquery(generation[:1]))
        .first()
    )
    if authenticator is None:
        return None, None
    return authenticator, authenticator.portal2fa_generation or 0


_UNREAD = object()


def state_of(authenticator: Authenticator | None) -> EnrollmentState:
    return authenticator.state if authenticator else EnrollmentState.NOT_STARTED


def reenrollment_due(user) -> bool:
    """Enrolled (by choice or by role), then reset by an administrator, and not enrolled since."""
    return ReenrollmentDue.objects.filter(user_id=user.pk).exists()


class NextStep(enum.Enum):
    SIGNED_IN = "signed_in"  # 2FA does not apply
    VERIFY = "verify"  # enrolled: enter a code
    ENROLL = "enroll"  # must enroll now
    ENROLL_OPTIONAL = "enroll_optional"  # offered enrollment, may skip
    ENROLL_LATER = "enroll_later"  # offered enrollment, may say "Remind me later" until the date


def next_step(
    user, policy: TwoFactorSettings, *, authenticator=_UNREAD, at: datetime | None = None
) -> NextStep:
    """2FA applies when the switch is on and a role of the user requires it or the user enrolled;
    a user whose enrollment was reset is led through enrollment again.

    Enrollment Optional: anyone may skip (the site-wide switch is the most lenient and wins).
    Required: enroll now, unless a role's due rule gave the user a date that has not passed and
    snoozes are left (selectors/deadlines.py); a reset user is never given grace."""
    if not policy.enabled:
        return NextStep.SIGNED_IN
    if authenticator is _UNREAD:  # a caller that read it in this request passes it (or None)
        authenticator = authenticator_of(user)
    state = state_of(authenticator)
    if state == EnrollmentState.ENROLLED:
        return NextStep.VERIFY
    required_by_role = get_adapter().user_requires_2fa(user)
    reset = reenrollment_due(user)
    if not required_by_role and not reset:
        return NextStep.SIGNED_IN
    if not policy.enrollment_required:
        return NextStep.ENROLL_OPTIONAL
    if not reset and signin_grace(user, at=at or timezone.now()) is not None:
        return NextStep.ENROLL_LATER
    return NextStep.ENROLL
