"""One user's two-factor story for administrators: state, dates, codes, sign-ins, failures, the
recent 2FA audit events, and a suspected phone clock skew. A fixed number of queries (six)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ...audit.models import Action, AuditEvent
from ..adapter import get_adapter
from ..core.methods import LABELS, PASSKEY, TOTP
from ..core.totp import skew_minutes
from ..models import Authenticator, EnrollmentState, TrustedBrowser

TWO_FACTOR_ACTIONS = [
    Action.SIGNIN_SUCCEEDED,
    Action.SECOND_FACTOR_FAILED,
    Action.SECOND_FACTOR_LOCKOUT,
    Action.BACKUP_CODE_USED,
    Action.ENROLLMENT_STARTED,
    Action.ENROLLMENT_COMPLETED,
    Action.ENROLLMENT_SKIPPED,
    Action.BACKUP_CODES_REGENERATED,
    Action.ENROLLMENT_RESET,
    Action.PASSKEY_ADDED,
    Action.PASSKEY_REMOVED,
    Action.PASSKEY_CLONE_REFUSED,
    Action.TRUSTED_BROWSER_ADDED,
    Action.TRUSTED_BROWSER_REVOKED,
    Action.APP_ADDED,
    Action.SIGNED_OUT_EVERYWHERE,
    Action.ENROLLMENT_SNOOZED,
    Action.DEADLINE_EXTENDED,
]
RECENT_EVENTS = 20
FAILURES_LOOKED_AT = 50


@dataclass(frozen=True)
class UserTwoFactor:
    pk: int
    name: str
    email: str
    roles: list[str]
    active: bool
    state: EnrollmentState
    enrolled_at: datetime | None
    codes_remaining: int | None
    codes_issued: int | None
    last_signin: datetime | None
    failures_since_signin: int
    last_failure: datetime | None
    skew_steps: (
        int | None
    )  # the latest refused code since the last sign-in came from a skewed phone
    events: list[AuditEvent]
    methods: list[str]  # what an enrollment reset removes: "Authenticator App", "Passkey … (2)"
    trusted_browsers: int  # browsers this user trusts now (a reset revokes them)

    @property
    def resettable(self) -> bool:
        return self.state is not EnrollmentState.NOT_STARTED

    @property
    def skew_text(self) -> str:
        if self.skew_steps is None:
            return ""
        minutes = skew_minutes(self.skew_steps)
        if self.skew_steps > 0:
            text = ngettext(
                "about %(count)s minute ahead", "about %(count)s minutes ahead", minutes
            )
        else:
            text = ngettext(
                "about %(count)s minute behind", "about %(count)s minutes behind", minutes
            )
        return text % {"count": minutes}


def user_two_factor(pk: int, *, now: datetime) -> UserTwoFactor | None:
    adapter = get_adapter()
    user = adapter.users().filter(pk=pk).first()
    if user is None:
        return None
    authenticator = Authenticator.objects.filter(user_id=pk).first()
    if authenticator is None:
        state = EnrollmentState.NOT_STARTED
    elif authenticator.confirmed_at is None:
        state = EnrollmentState.PENDING
    else:
        state = EnrollmentState.ENROLLED
    mine = AuditEvent.objects.filter(target_id=pk)
    last_signin = (
        mine.filter(action=Action.SIGNIN_SUCCEEDED)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    failures: Any = mine.filter(action=Action.SECOND_FACTOR_FAILED)  # then their values
    if last_signin is not None:
        failures = failures.filter(at__gt=last_signin)
    failures = list(failures.order_by("-at", "-id").values("at", "detail")[:FAILURES_LOOKED_AT])
    skew = next(
        (
            f["detail"].get("clock_skew_steps")
            for f in failures
            if "clock_skew_steps" in f["detail"]
        ),
        None,
    )
    events = list(
        mine.filter(action__in=TWO_FACTOR_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-id")[:RECENT_EVENTS]
    )
    enrolled = state is EnrollmentState.ENROLLED
    methods = []
    if enrolled and authenticator is not None and authenticator.has_app:
        methods.append(gettext(LABELS[TOTP]))
    if authenticator is not None and authenticator.passkeys:
        methods.append(f"{gettext(LABELS[PASSKEY])} ({authenticator.passkeys})")
    trusted = TrustedBrowser.objects.filter(user_id=pk, expires_at__gt=now).count()
    return UserTwoFactor(
        pk=user.pk,
        name=adapter.display_name(user),
        email=adapter.email(user),
        roles=adapter.role_names(user),
        active=getattr(user, "is_active", True),
        state=state,
        enrolled_at=authenticator.confirmed_at if enrolled and authenticator else None,
        codes_remaining=authenticator.backup_codes_remaining
        if enrolled and authenticator
        else None,
        codes_issued=authenticator.backup_codes_issued if enrolled and authenticator else None,
        last_signin=last_signin,
        failures_since_signin=len(failures),
        last_failure=failures[0]["at"] if failures else None,
        skew_steps=skew,
        events=events,
        methods=methods,
        trusted_browsers=trusted,
    )


SEND_REFUSALS_SHOWN = 10
_CHANNELS = {"email": _("Email code"), "sms": _("SMS code")}
_REASONS = {
    "account hour limit": _("account limit per hour"),
    "account day limit": _("account limit per day"),
    "destination hour limit": _("address or number limit per hour"),
    "destination day limit": _("address or number limit per day"),
    "invalid-code delay": _("waiting after invalid codes"),
    "code lock": _("locked by invalid codes"),
}


def send_refusals(user_pk, *, limit: int = SEND_REFUSALS_SHOWN) -> list[dict]:
    """The user's latest refused code sends (across sign-ins), newest first, in the page's words."""
    events = AuditEvent.objects.filter(target_id=user_pk, action=Action.CODE_SEND_REFUSED)
    return [
        {
            "at": event.at,
            "what": _CHANNELS.get(event.detail.get("channel"), _("Code")),
            "why": _REASONS.get(event.detail.get("reason"), event.detail.get("reason", "")),
            "client_address": event.client_address,
        }
        for event in events.order_by("-at", "-id")[:limit]
    ]
