"""Users and Security Roles (SPEC §2)."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Upper

from ..twofactor.models import MANAGE_PERMISSION, EnrollmentState, RoleType

ADMINISTRATOR_ROLE = "Administrator"
__all__ = ["ADMINISTRATOR_ROLE", "RoleType", "SecurityRole", "User"]


class SecurityRole(models.Model):
    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=20, choices=RoleType.choices)
    requires_2fa = models.BooleanField(
        default=False, help_text="Users of this role must use two-factor authentication."
    )
    # Only the built-in Administrator role grants access to Setup; it cannot be renamed or deleted.
    grants_setup = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Upper("name"), name="role_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser):
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    role = models.ForeignKey(SecurityRole, on_delete=models.PROTECT, related_name="users")
    date_joined = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        ordering = ["full_name", "email"]
        # Sign-in looks emails up ignoring case: the database must not hold two that differ in case.
        # UPPER, as Django's email__iexact compiles to UPPER(email) = UPPER(%s): this index serves it.
        constraints = [models.UniqueConstraint(Upper("email"), name="user_email_ci_unique")]
        indexes = [
            models.Index(fields=["is_active", "role"], name="user_active_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def is_administrator(self) -> bool:
        return self.is_active and self.role.grants_setup

    @property
    def state_label(self) -> str:
        """The enrollment state of a user read through users_with_state()."""
        return EnrollmentState(self.enrollment_state).label

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
