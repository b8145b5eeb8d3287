"""What the library must not assume about the host: its roles, its users, who administers.

A host with its own role concept subclasses DefaultAdapter and names it in PORTAL2FA_ADAPTER
(as django-allauth's adapters work). The default serves any user model with Django's Groups:
a Group is a Security Role, with its Type and "Require two-factor authentication" kept beside it
in GroupRole.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Collate, Upper
from django.utils.module_loading import import_string

from . import methods as second_factor_methods
from .conf import setting
from .deadlines import DueRule
from .models import MANAGE_PERMISSION, GroupRole, RoleType

__all__ = ["MANAGE_PERMISSION", "DefaultAdapter", "DueRule", "Role", "get_adapter"]


@dataclass(frozen=True)
class Role:
    id: str  # stable and short: form values and CLI output
    name: str
    type: str
    requires_2fa: bool
    # The optional second-factor methods (methods.OPTIONAL) that count for this role.
    methods: tuple[str, ...] = ("email", "passkey", "sms")
    always_second_factor: bool = False  # a trusted browser never skips the second factor
    # When its users must be enrolled once it requires 2FA (deadlines.py): the next sign-in, by a
    # date or within N days, and how often they may say "Remind me later".
    deadline: DueRule = DueRule()


class DefaultAdapter:
    # ---- users ----
    def users(self) -> QuerySet:
        return get_user_model()._default_manager.all()

    def active_users(self) -> QuerySet:
        return self.users().filter(is_active=True) if _has_field("is_active") else self.users()

    def display_name(self, user) -> str:
        return (user.get_full_name() if hasattr(user, "get_full_name") else "") or str(
            user.get_username()
        )

    def email(self, user) -> str:
        return getattr(user, get_user_model().get_email_field_name(), "") or ""

    def account_name(self, user) -> str:
        """The account an authenticator app shows beside the issuer."""
        return self.email(user) or str(user.get_username())

    def phone_number(self, user) -> str:
        """Where SMS codes go (E.164), or "" (then SMS codes are not offered to this user)."""
        return str(getattr(user, "phone_number", "") or "")

    def notice_recipients(self, user) -> list[str]:
        """Where security notices about this user go (their own address by default)."""
        address = self.email(user)
        return [address] if address else []

    def user_language(self, user) -> str:
        """The language of the e-mails this user receives (a code from settings.LANGUAGES). A host
        that stores each user's choice returns it here."""
        return settings.LANGUAGE_CODE

    def search_fields(self) -> list[str]:
        model = get_user_model()
        names = [model.USERNAME_FIELD, model.get_email_field_name(), "first_name", "last_name"]
        return list(dict.fromkeys(name for name in names if _has_field(name)))

    def search_users(self, query: str) -> QuerySet:
        """Users whose name or email contains `query` (case-insensitive), in list order."""
        matches = Q()
        for name in self.search_fields():
            matches |= Q(**{f"{name}__icontains": query})
        return self.users().filter(matches).order_by(*self.user_ordering())

    # Inputs this short match the start of a search field (prefix), longer ones anywhere in it.
    PREFIX_MAX = 2
    # The oldest accounts probed first, in primary-key order (see search_active_ids).
    SEARCH_PROBE = 5_000

    def search_active_ids(self, query: str, *, limit: int) -> list:
        """The primary keys of up to `limit` active users matching `query`, found before any join
        (the typeahead then reads those rows only: limit first, join after).

        The `limit` oldest accounts (lowest primary keys) that match, which the caller shows in
        list order. 1-2 characters match a prefix of a search field, case-insensitive (UPPER(field)
        in a range, COLLATE "C" on PostgreSQL, which an index on that expression serves: the
        demo's accounts/0005 and, on SQLite, 0008); 3 or more match anywhere in it (a trigram
        index serves it on PostgreSQL).

        Two steps, so that no query plan depends on guessing how common the input is: the oldest
        SEARCH_PROBE accounts are searched first, a bounded range of the primary key (a match most
        users share, the email domain or a common surname, is found there); only when they hold
        fewer than `limit` matches, the rest, without an order an index could walk (so a rare
        input is looked up through its own index, and few rows are sorted).
        """
        active = self.active_users().order_by()
        query = query.strip()
        if not query:
            return []
        pks = active.order_by("pk").values_list("pk", flat=True)
        cut = next(iter(pks[self.SEARCH_PROBE - 1 : self.SEARCH_PROBE]), None)  # one index probe
        if len(query) > self.PREFIX_MAX:
            matches = Q()
            for name in self.search_fields():
                matches |= Q(**{f"{name}__icontains": query})
            return self._oldest(active.filter(matches), cut, limit)
        ids: set = set()
        for name in self.search_fields():
            matching = active.annotate(_key=_upper_key(name)).filter(**_prefix(query.upper()))
            ids.update(self._oldest(matching, cut, limit))
        return sorted(ids)[:limit]

    def _oldest(self, matching: QuerySet, cut, limit: int) -> list:
        if cut is None:  # fewer active users than SEARCH_PROBE: one query
            return list(matching.order_by("pk").values_list("pk", flat=True)[:limit])
        head = matching.filter(pk__lte=cut).order_by("pk").values_list("pk", flat=True)
        found = list(head[:limit])
        if len(found) < limit:
            rest = matching.filter(pk__gt=cut).order_by((F("pk") + 0).asc())
            found += list(rest.values_list("pk", flat=True)[: limit - len(found)])
        return found

    def user_ordering(self) -> list[str]:
        return [*self.search_fields()[:1], "pk"]

    def find_user(self, identifier: str):
        """The one user a CLI argument (or a sign-in attempt) names: their username, else their
        email, ignoring case. None when nobody, or more than one user, answers to it."""
        model = get_user_model()
        identifier = identifier.strip()
        for name in dict.fromkeys([model.USERNAME_FIELD, model.get_email_field_name()]):
            if _has_field(name):
                found = list(self.users().filter(**{f"{name}__iexact": identifier})[:2])
                if found:
                    return found[0] if len(found) == 1 else None
        return None

    def role_names(self, user) -> list[str]:
        return [group.name for group in user.groups.all()] if hasattr(user, "groups") else []

    def can_administer(self, user) -> bool:
        has_perm = getattr(user, "has_perm", None)  # a user model without PermissionsMixin: no
        return bool(
            user.is_authenticated and user.is_active and has_perm and has_perm(MANAGE_PERMISSION)
        )

    # ---- Security Roles ----
    def role_lookup(self) -> str:
        """The ORM lookup from a user to the primary keys of their roles (Role.id), for counts per
        role in one grouped query (the Overview's adoption per Security Role)."""
        return "groups"

    def roles(self) -> list[Role]:
        groups = Group.objects.select_related("portal2fa_role").order_by("name")
        return [_group_role(group) for group in groups]

    def user_requires_2fa(self, user) -> bool:
        """A user in several roles must use 2FA if any of them requires it."""
        if not hasattr(user, "groups"):
            return False
        return GroupRole.objects.filter(group__in=user.groups.all(), requires_2fa=True).exists()

    def role_methods(self, user) -> set[str]:
        """The optional second-factor methods this user's roles let count (methods.combine)."""
        if not hasattr(user, "groups"):
            return set(second_factor_methods.OPTIONAL)
        groups = user.groups.select_related("portal2fa_role")
        return second_factor_methods.combine(
            [(role.requires_2fa, role.methods) for role in map(_group_role, groups)]
        )

    def set_role_methods(self, wanted: dict[str, list[str]]) -> dict[str, list[str]]:
        """Set the counted methods of the roles named by id (others untouched), inside the
        caller's transaction. Returns {role name: [old, new]} (comma-joined) for those changed."""
        ids = [int(pk) for pk in wanted if pk.isdigit()]
        groups = Group.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        changed = {}
        for group in groups.select_related("portal2fa_role"):
            role = _group_role(group)
            new = second_factor_methods.clean_methods(wanted[str(group.pk)])
            if list(role.methods) != new:
                GroupRole.objects.update_or_create(group=group, defaults={"methods": new})
                changed[role.name] = [",".join(role.methods) or "none", ",".join(new) or "none"]
        return changed

    def role_always_requires_second_factor(self, user) -> bool:
        """True when a role of the user says "Always require the second factor": a trusted
        browser then never skips it (enforcement "Unrecognized devices only")."""
        if not hasattr(user, "groups"):
            return False
        return GroupRole.objects.filter(
            group__in=user.groups.all(), always_second_factor=True
        ).exists()

    def set_role_deadlines(self, wanted: dict[str, DueRule]) -> dict[str, list[DueRule]]:
        """Set the due rule (deadlines.DueRule, cleaned) of the roles named by id (others
        untouched), inside the caller's transaction. Returns {role name: [old, new]} for those
        changed. The users' own dates follow in services/deadlines.py, set-based."""
        ids = [int(pk) for pk in wanted if pk.isdigit()]
        groups = Group.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        changed = {}
        for group in groups.select_related("portal2fa_role"):
            role, rule = _group_role(group), wanted[str(group.pk)]
            if role.deadline != rule:
                GroupRole.objects.update_or_create(group=group, defaults=deadline_fields(rule))
                changed[role.name] = [role.deadline, rule]
        return changed

    def set_role_requirements(self, requirements: dict[str, bool]) -> dict[str, list[bool]]:
        """Set "Require 2FA" on the roles named by id (others untouched), inside the caller's
        transaction. Returns {role name: [old, new]} for the roles that changed."""
        ids = [int(pk) for pk in requirements if pk.isdigit()]
        groups = Group.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        changed = {}
        for group in groups.select_related("portal2fa_role"):
            role, wanted = _group_role(group), requirements[str(group.pk)]
            if role.requires_2fa != wanted:
                GroupRole.objects.update_or_create(group=group, defaults={"requires_2fa": wanted})
                changed[role.name] = [role.requires_2fa, wanted]
        return changed

    def set_role_always_second_factor(self, wanted: dict[str, bool]) -> dict[str, list[bool]]:
        """Set "Always require the second factor" on the roles named by id (others untouched),
        inside the caller's transaction. Returns {role name: [old, new]} for those that changed."""
        ids = [int(pk) for pk in wanted if pk.isdigit()]
        groups = Group.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        changed = {}
        for group in groups.select_related("portal2fa_role"):
            role, value = _group_role(group), wanted[str(group.pk)]
            if role.always_second_factor != value:
                GroupRole.objects.update_or_create(
                    group=group, defaults={"always_second_factor": value}
                )
                changed[role.name] = [role.always_second_factor, value]
        return changed


def _group_role(group: Group) -> Role:
    kept = getattr(group, "portal2fa_role", None)
    return Role(
        id=str(group.pk),
        name=group.name,
        type=kept.type if kept else RoleType.EMPLOYEE,
        requires_2fa=kept.requires_2fa if kept else False,
        methods=tuple(second_factor_methods.clean_methods(kept.methods))
        if kept
        else second_factor_methods.OPTIONAL,
        always_second_factor=kept.always_second_factor if kept else False,
        deadline=stored_deadline(kept) if kept else DueRule(),
    )


def stored_deadline(row) -> DueRule:
    """The DueRule a role row keeps in its RoleDeadlineFields (models.py)."""
    return row.deadline


def deadline_fields(rule: DueRule) -> dict:
    """The RoleDeadlineFields values that store `rule`."""
    return {
        "due_rule": rule.kind,
        "due_date": rule.by,
        "grace_days": rule.days,
        "snooze_limit": rule.snooze_limit,
    }


def _upper_key(name: str):
    """UPPER(field) in code-point order: COLLATE "C" on PostgreSQL; SQLite's default (BINARY)
    as it is, so that an index on UPPER(field) matches the expression (the demo's 0005, 0008)."""
    if connection.vendor == "postgresql":
        return Collate(Upper(name), "C")
    return Upper(name)


def _prefix(upper: str) -> dict:
    """The filter "starts with `upper`" as a range (key >= upper AND key < the next prefix),
    which an index on the key serves on SQLite too (its LIKE uses no expression index)."""
    last = ord(upper[-1])
    following = last + 1
    if following > 0x10FFFF or 0xD800 <= following <= 0xDFFF:  # no next character to bound it
        return {"_key__startswith": upper}
    return {"_key__gte": upper, "_key__lt": upper[:-1] + chr(following)}


def _has_field(name: str) -> bool:
    try:
        get_user_model()._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


@functools.cache
def _adapter_class(path: str) -> type:
    return import_string(path)


def get_adapter() -> DefaultAdapter:
    return _adapter_class(setting("PORTAL2FA_ADAPTER"))()
