"""The demo portal as the library sees it: one SecurityRole per user, names in `full_name`.

This is the example of PORTAL2FA_ADAPTER for a host with its own role concept.
"""

from collections.abc import Mapping

from ..twofactor.adapter import DefaultAdapter, DueRule, Role, deadline_fields, stored_deadline
from ..twofactor.core import methods
from .models import SecurityRole, User, UserQuerySet


class PortalAdapter(DefaultAdapter):
    def users(self) -> UserQuerySet:
        return User.objects.select_related("role")

    def find_user(self, identifier: str):
        """The user an email names, in any spelling (the canonical email, as sign-in)."""
        return self.users().canonical(identifier)

    def display_name(self, user) -> str:
        return user.full_name

    def user_language(self, user) -> str:
        """The language the user chose with the switcher, else the site's."""
        return user.language or super().user_language(user)

    def search_fields(self) -> list[str]:
        return ["full_name", "email"]

    def user_ordering(self) -> list[str]:
        return ["full_name", "email"]

    def can_administer(self, user) -> bool:
        return bool(user.is_authenticated and user.is_administrator)

    def role_names(self, user) -> list[str]:
        return [user.role.name]

    def role_lookup(self) -> str:
        return "role"

    def roles(self) -> list[Role]:
        return [_role(role) for role in SecurityRole.objects.order_by("name")]

    def user_requires_2fa(self, user) -> bool:
        return user.role.requires_2fa

    def role_methods(self, user) -> set[str]:
        """One role per user: its methods (methods.combine with one role)."""
        role = user.role
        return methods.combine([(role.requires_2fa, role.second_factor_methods)])

    def set_role_methods(self, wanted: dict[str, list[str]]) -> dict[str, list[str]]:
        changed = _set_role_field(
            {pk: methods.clean_methods(v) for pk, v in wanted.items()},
            "second_factor_methods",
            normalise=methods.clean_methods,
        )
        return {
            name: [",".join(old) or "none", ",".join(new) or "none"]
            for name, (old, new) in changed.items()
        }

    def role_always_requires_second_factor(self, user) -> bool:
        return user.role.always_second_factor

    def set_role_requirements(self, requirements: dict[str, bool]) -> dict[str, list[bool]]:
        return _set_role_field(requirements, "requires_2fa")

    def set_role_always_second_factor(self, wanted: dict[str, bool]) -> dict[str, list[bool]]:
        return _set_role_field(wanted, "always_second_factor")

    def set_role_deadlines(self, wanted: dict[str, DueRule]) -> dict[str, list[DueRule]]:
        ids = [int(pk) for pk in wanted if pk.isdigit()]
        changed = {}
        for role in SecurityRole.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            old, new = stored_deadline(role), wanted[str(role.pk)]
            if old != new:
                changed[role.name] = [old, new]
                fields = deadline_fields(new)
                for name, value in fields.items():
                    setattr(role, name, value)
                role.save(update_fields=list(fields))
        return changed


def _set_role_field(
    wanted: Mapping[str, object], field: str, normalise=lambda value: value
) -> dict:
    """Set `field` on the roles named by id (others untouched), inside the caller's transaction,
    the rows locked in id order. Returns {role name: [old, new]} for the roles that changed."""
    ids = [int(pk) for pk in wanted if pk.isdigit()]
    changed = {}
    for role in SecurityRole.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        old, new = normalise(getattr(role, field)), wanted[str(role.pk)]
        if old != new:
            changed[role.name] = [old, new]
            setattr(role, field, new)
            role.save(update_fields=[field])
    return changed


def _role(role: SecurityRole) -> Role:
    return Role(
        id=str(role.pk),
        name=role.name,
        type=role.type,
        requires_2fa=role.requires_2fa,
        methods=tuple(methods.clean_methods(role.second_factor_methods)),
        always_second_factor=role.always_second_factor,
        deadline=stored_deadline(role),
    )
