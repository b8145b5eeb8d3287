"""The demo portal's Users and Security Roles (one role per user)."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Upper

from ..twofactor.core.canonical import canonical_identifier
from ..twofactor.models import (
    MANAGE_PERMISSION,
    EnrollmentState,
    RoleDeadlineFields,
    RoleType,
    default_role_methods,
)

ADMINISTRATOR_ROLE = "Administrator"
__all__ = ["ADMINISTRATOR_ROLE", "RoleType", "SecurityRole", "User"]


class SecurityRole(RoleDeadlineFields):
    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=20, choices=RoleType.choices)
    requires_2fa = models.BooleanField(
        default=False, help_text="Users of this role must use two-factor authentication."
    )
    # The optional second-factor methods that count for this role (twofactor.methods.OPTIONAL).
    second_factor_methods = models.JSONField(default=default_role_methods, blank=True)
    always_second_factor = models.BooleanField(
        "Always require the second factor",
        default=False,
        help_text="A browser the user trusts never skips the second factor for this role.",
    )
    # Only the built-in Administrator role grants access to Setup; it cannot be renamed or deleted.
    grants_setup = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Upper("name"), name="role_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """bulk_create skips save(): fill the canonical email here too."""
        objs = list(objs)
        for user in objs:
            user.email_canonical = canonical_identifier(user.email)
        return super().bulk_create(objs, *args, **kwargs)

    def canonical(self, email: str):
        """The user whose email is this one in any spelling (case, width, look-alike letters)."""
        return self.filter(email_canonical=canonical_identifier(email or "")).first()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]  # django-stubs cannot follow from_queryset() on BaseUserManager
    use_in_migrations = True

    def get_by_natural_key(self, email):
        """Sign-in looks up the canonical email: one account per email in any spelling."""
        return self.get(email_canonical=canonical_identifier(email or ""))


class User(AbstractBaseUser):
    email = models.EmailField(max_length=254, unique=True)
    # The email normalised once (Unicode NFKC + case folding, twofactor/core/canonical.py), set on every
    # save: sign-in looks it up and it is unique, so 'ALİCE', 'alıce', 'ａlice' or 'aliſe'
    # spellings neither reach another account nor create a second one.
    email_canonical = models.CharField(max_length=320, unique=True, editable=False)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    role = models.ForeignKey(SecurityRole, on_delete=models.PROTECT, related_name="users")
    date_joined = models.DateTimeField(auto_now_add=True)
    # The language the user chose with the switcher (a code of settings.LANGUAGES), blank for the
    # site's default: every mail to them is written in it. No `choices`, so that changing
    # LANGUAGES needs no migration; the switcher stores only codes of LANGUAGES.
    language = models.CharField(max_length=15, blank=True, default="")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()
    enrollment_state: str  # on the users of users_with_state() (an annotation of the query)

    class Meta:
        ordering = ["full_name", "email"]
        # Sign-in looks emails up ignoring case: the database must not hold two that differ in case.
        # UPPER, as Django's email__iexact compiles to UPPER(email) = UPPER(%s): this index serves it.
        constraints = [models.UniqueConstraint(Upper("email"), name="user_email_ci_unique")]
        indexes = [
            models.Index(fields=["is_active", "role"], name="user_active_role_idx"),
            # The 2FA user list filtered by role walks a role's active users in id order (keyset
            # pagination): no sort of the role's members at a million users.
            models.Index(
                fields=["role", "id"],
                name="user_role_keyset_idx",
                condition=models.Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def save(self, *args, **kwargs):
        self.email_canonical = canonical_identifier(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_canonical"}
        super().save(*args, **kwargs)

    @property
    def is_administrator(self) -> bool:
        return self.is_active and self.role.grants_setup

    @property
    def state_label(self) -> str:
        """The enrollment state of a user read through users_with_state()."""
        return str(EnrollmentState(self.enrollment_state).label)

    @property
    def resettable(self) -> bool:
        return EnrollmentState(self.enrollment_state) is not EnrollmentState.NOT_STARTED

    def has_perm(self, perm, obj=None) -> bool:
        """The demo grants Portal 2FA's administration to its Administrator role."""
        return perm == MANAGE_PERMISSION and self.is_administrator

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name
