"""Changes to the demo portal's users and Security Roles, each audited in its transaction."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from ..audit.models import Action
from ..audit.services import Origin, record
from ..twofactor.machinery.session_generation import sessions_end_others
from ..twofactor.services.deadlines import user_deadline_refresh
from .models import RoleType, SecurityRole, User


class AccountError(ValueError):
    """A user or role change that cannot be made; the message is safe to show."""


def _save_unique(instance, message: str, update_fields=None) -> None:
    """Save; the database's case-insensitive unique constraints turn a duplicate email or role name
    (even one inserted concurrently) into AccountError."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError:
        raise AccountError(message) from None


def _role_exists(name: str) -> str:
    return gettext("A role named %(name)s already exists.") % {"name": repr(name)}


def _user_exists(email: str) -> str:
    return gettext("A user with email %(email)s already exists.") % {"email": email}


def _clean_identity(email: str, full_name: str) -> tuple[str, str]:
    email = User.objects.normalize_email(email.strip())
    full_name = full_name.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(
            gettext("%(email)s is not a valid email address.") % {"email": repr(email)}
        ) from None
    if not full_name or len(full_name) > 150 or not full_name.isprintable():
        raise AccountError(gettext("A name is 1 to 150 printable characters."))
    return email, full_name


def _clean_role(name: str, type: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise AccountError(gettext("A role name is 1 to 100 printable characters."))
    if type not in RoleType.values:
        raise AccountError(
            gettext("Type must be one of: %(types)s.") % {"types": ", ".join(RoleType.values)}
        )
    return name


def role_create(
    *, actor, name: str, type: str, requires_2fa: bool = False, at: datetime, client_address=None
) -> SecurityRole:
    name = _clean_role(name, type)
    with transaction.atomic():
        role = SecurityRole(name=name, type=type, requires_2fa=requires_2fa)
        _save_unique(role, _role_exists(name))
        record(
            Action.ROLE_CHANGED,
            Origin(actor, None, client_address, at),
            role=name,
            change="created",
            type=type,
            requires_2fa=requires_2fa,
        )
    return role


def user_create(
    *,
    actor,
    email: str,
    full_name: str,
    role: SecurityRole,
    password: str | None,
    is_active: bool = True,
    at: datetime,
    client_address=None,
) -> User:
    email, full_name = _clean_identity(email, full_name)
    user = User(email=email, full_name=full_name, role=role, is_active=is_active)
    if password:
        validate_new_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _save_unique(user, _user_exists(email))
        record(
            Action.USER_CHANGED,
            Origin(actor, user, client_address, at),
            change="created",
            role=role.name,
            active=is_active,
        )
    return user


def _would_remove_last_administrator(user: User, *, role: SecurityRole, is_active: bool) -> bool:
    if not (user.role.grants_setup and user.is_active) or (role.grants_setup and is_active):
        return False
    others = User.objects.filter(role__grants_setup=True, is_active=True).exclude(pk=user.pk)
    return not others.exists()


def user_update(
    *,
    actor,
    user: User,
    email: str,
    full_name: str,
    role: SecurityRole,
    is_active: bool,
    at: datetime,
    client_address=None,
) -> dict:
    """Edit a user; refuses to remove the last active administrator. Returns {field: [old, new]}."""
    email, full_name = _clean_identity(email, full_name)
    if actor is not None and actor.pk == user.pk and not (role.grants_setup and is_active):
        raise AccountError(gettext("You cannot remove your own administrator access."))
    with transaction.atomic():
        # Lock every active administrator first (always in id order), then the target: two admins
        # deactivating each other at once cannot both pass the last-administrator check.
        locked = User.objects.select_for_update(no_key=True, of=("self",)).order_by("pk")
        list(locked.filter(role__grants_setup=True, is_active=True).values_list("pk"))
        user = locked.select_related("role").get(pk=user.pk)
        if _would_remove_last_administrator(user, role=role, is_active=is_active):
            raise AccountError(gettext("This is the last active administrator: keep at least one."))
        diff = {}
        for field, new in (
            ("email", email),
            ("full_name", full_name),
            ("role", role),
            ("is_active", is_active),
        ):
            old = getattr(user, field)
            if old != new:
                diff[field] = [str(old), str(new)]
                setattr(user, field, new)
        if diff:
            _save_unique(user, _user_exists(email), update_fields=list(diff))
            record(
                Action.USER_CHANGED,
                Origin(actor, user, client_address, at),
                changes=diff,
            )
            if "role" in diff:  # a role that requires 2FA reaches them now, or leaves them
                user_deadline_refresh(user=user, at=at)
            if "is_active" in diff and not is_active:
                # The library's post_save receiver does this for any host; explicit here.
                sessions_end_others(user=user)
    return diff


def role_update(
    *, actor, role: SecurityRole, name: str, type: str, at: datetime, client_address=None
) -> dict:
    name = _clean_role(name, type)
    if role.grants_setup and (name != role.name or type != role.type):
        raise AccountError(gettext("The built-in Administrator role cannot be renamed or retyped."))
    with transaction.atomic():
        diff = {
            f: [getattr(role, f), v]
            for f, v in (("name", name), ("type", type))
            if getattr(role, f) != v
        }
        if diff:
            old_name, old_type = role.name, role.type
            role.name, role.type = name, type
            try:
                _save_unique(role, _role_exists(name), ["name", "type"])
            except AccountError:
                role.name, role.type = old_name, old_type  # the page shows the role as it is
                raise
            record(
                Action.ROLE_CHANGED,
                Origin(actor, None, client_address, at),
                role=name,
                changes=diff,
            )
    return diff


def user_set_password(
    *, actor, user: User, password: str, at: datetime, client_address=None
) -> None:
    """Set a user's password (validated like a new one); audited without the password."""
    validate_new_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(
            Action.USER_CHANGED,
            Origin(actor, user, client_address, at),
            change="password set",
        )


def validate_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise AccountError(" ".join(error.messages)) from None


def user_language_set(*, user: User, language: str) -> bool:
    """Store the user's language for the pages and every mail to them; False (nothing stored) for
    a language the site does not offer."""
    if language not in dict(settings.LANGUAGES):
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True
