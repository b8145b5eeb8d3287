"""A Security Role named in an API path or filter: by its name (any case) or its id."""

from ..twofactor.adapter import Role, get_adapter


class UnknownRole(ValueError):
    pass


def find_role(name_or_id: str) -> Role:
    wanted = name_or_id.strip()
    for role in get_adapter().roles():
        if role.name.casefold() == wanted.casefold() or str(role.id) == wanted:
            return role
    raise UnknownRole(f"No Security Role named {name_or_id!r}.")
