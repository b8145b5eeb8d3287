"""Changes to the admin-editable 2FA policy, validated as a whole and audited old -> new."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser, get_adapter
from ..core.deadlines import PAST_DATE, DueRule, RuleError, past_date
from ..machinery import counters
from ..machinery.policy import current_policy
from ..models import Authenticator, TwoFactorSettings
from .deadlines import role_deadlines_refresh
from .trusted_browsers import trust_shortened

EDITABLE_FIELDS = (
    "enabled",
    "enrollment_required",
    "max_invalid_attempts",
    "clock_skew_steps",
    "backup_codes_per_set",
    "low_codes_threshold",
    "issuer_name",
    "email_codes_allowed",
    "passkeys_allowed",
    "sms_codes_allowed",
    "enforcement",
    "trust_days",
    "reset_needs_access_pass",
    "reminder_days",
)


class SettingsError(ValueError):
    """Invalid values; `errors` maps field name -> list of messages. Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in errors.items())
        )


def settings_update(
    *,
    actor: HostUser | None,
    changes: dict[str, Any],
    at: datetime,
    client_address: str | None = None,
    role_requirements: dict[str, bool] | None = None,
    role_methods: dict[str, list[str]] | None = None,
    role_always_second_factor: dict[str, bool] | None = None,
    role_deadlines: dict[str, DueRule] | None = None,
) -> dict[str, list[Any]]:
    """Apply `changes` (field -> value), `role_requirements` ({role id: requires 2FA}),
    `role_methods` ({role id: [optional methods that count]}) and `role_deadlines` ({role id:
    deadlines.DueRule}). The users of a role whose requirement or due rule changed get their due
    dates in the same transaction (services/deadlines.py, set-based).

    Only the roles named in `role_requirements` change: a role created after the Settings form was
    loaded keeps its requirement. Returns the changes as {name: [old, new]}; empty when none.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise SettingsError({name: [gettext("Unknown setting.")] for name in sorted(unknown)})
    with transaction.atomic():
        current_policy()  # the row exists from here on
        policy = TwoFactorSettings.objects.select_for_update().get(pk=1)
        diff = {}
        for name, value in changes.items():
            if isinstance(value, str):
                value = value.strip()  # what clean() would store: compare that
            old = getattr(policy, name)
            if old != value:
                diff[name] = [old, value]
                setattr(policy, name, value)
        try:
            policy.full_clean()
        except ValidationError as error:
            transaction.set_rollback(True)
            raise SettingsError(error.message_dict) from None
        if diff:
            policy.save()
        if "trust_days" in diff and diff["trust_days"][1] < diff["trust_days"][0]:
            trust_shortened(days=policy.trust_days)
        names_changed = set()
        if role_deadlines:
            changed: dict[str, Any] = _set_role_deadlines(
                role_deadlines, today=timezone.localdate(at)
            )
            names_changed |= set(changed)
            diff.update({f"due:{name}": pair for name, pair in changed.items()})
        if role_requirements:
            changed = get_adapter().set_role_requirements(role_requirements)
            names_changed |= set(changed)
            label = {True: "required", False: "not required"}
            diff.update({f"role:{n}": [label[a], label[b]] for n, (a, b) in changed.items()})
        if names_changed:
            ids = [role.id for role in get_adapter().roles() if role.name in names_changed]
            role_deadlines_refresh(role_ids=ids, at=at)
        if role_methods:
            changed = get_adapter().set_role_methods(role_methods)
            diff.update({f"role-methods:{name}": pair for name, pair in changed.items()})
        if role_always_second_factor:  # {role id: "Always require the second factor"}
            changed = get_adapter().set_role_always_second_factor(role_always_second_factor)
            label = {True: "always", False: "trusted browsers count"}
            diff.update(
                {f"second factor:{name}": [label[a], label[b]] for name, (a, b) in changed.items()}
            )
        if diff:
            record(Action.SETTINGS_CHANGED, Origin(actor, None, client_address, at), changes=diff)
    return diff


def _set_role_deadlines(wanted: dict[str, DueRule], *, today: date) -> dict[str, list[str]]:
    """Clean each rule (SettingsError naming the role when one cannot be kept), then store."""
    cleaned: dict[str, DueRule] = {}
    errors: dict[str, list[str]] = {}
    current = {str(role.id): role.deadline for role in get_adapter().roles()}
    for pk, rule in wanted.items():
        try:
            cleaned[pk] = rule.cleaned()
        except RuleError as error:
            errors[f"due_rule_{pk}"] = [messages.translated(error)]
            continue
        if past_date(cleaned[pk], current.get(str(pk)), today=today):
            errors[f"due_rule_{pk}"] = [gettext(PAST_DATE)]
    if errors:
        transaction.set_rollback(True)
        raise SettingsError(errors)
    changed = get_adapter().set_role_deadlines(cleaned)
    return {name: [old.describe(), new.describe()] for name, (old, new) in changed.items()}


def stranded_passkey_users(changed: dict[str, list[Any]]) -> str | None:
    """The warning after a change (settings_update's answer) that leaves users enrolled with a
    passkey alone unable to use it, or None. The site switch: O(1) from the counters; roles that
    stopped counting passkeys: one count of those roles' key-only users."""
    if changed.get("passkeys_allowed") == [True, False]:
        stranded = counters.enrolled_without_app()
        return messages.passkeys_switched_off(stranded) if stranded else None
    names = [
        key.split(":", 1)[1]
        for key, (old, new) in changed.items()
        if key.startswith("role-methods:")
        and "passkey" in old.split(",")
        and "passkey" not in new.split(",")
    ]
    if not names or not current_policy().passkeys_allowed:
        return None
    adapter = get_adapter()
    ids = [role.id for role in adapter.roles() if role.name in names]
    stranded = (
        Authenticator.objects.filter(
            confirmed_at__isnull=False,
            encrypted_secret="",
            user_active=True,
            **{f"user__{adapter.role_lookup()}__in": ids},
        )
        .values("user_id")
        .distinct()
        .count()
    )
    return messages.passkeys_not_counted_for_roles(stranded, sorted(names)) if stranded else None
