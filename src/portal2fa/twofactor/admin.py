"""The Security Role beside each Django Group, on the Django admin's Group page (when the host
uses django.contrib.admin). Its Type is edited here; whether the role requires 2FA, its due rule,
which methods count and "Always require the second factor" are shown read-only: they change on the
Settings tab, where every change is audited (and a due rule change moves its users' dates)."""

from typing import TypeAlias, cast

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from .models import GroupRole

GroupModelAdmin: TypeAlias = "admin.ModelAdmin[Group]"  # (ModelAdmin is generic only to mypy)


class SecurityRoleInline(admin.StackedInline):
    model = GroupRole
    can_delete = False
    max_num = 1
    verbose_name = verbose_name_plural = _("Security Role (Portal 2FA)")
    kept_on_the_settings_tab = (
        "requires_2fa",
        "due_rule",
        "due_date",
        "grace_days",
        "snooze_limit",
        "methods",
        "always_second_factor",
    )
    fields = ("type", *kept_on_the_settings_tab)
    readonly_fields = kept_on_the_settings_tab


def _with_security_role(admin_class: type[GroupModelAdmin]) -> type[GroupModelAdmin]:
    """The host's Group admin (Django's, or its own) with the Security Role inline added."""
    inlines = [*admin_class.inlines, SecurityRoleInline]
    return cast(
        type[GroupModelAdmin], type(admin_class.__name__, (admin_class,), {"inlines": inlines})
    )


_current: type[GroupModelAdmin] = GroupAdmin
if admin.site.is_registered(Group):  # Django's own (imported above), or one the host registered
    _current = type(admin.site.get_model_admin(Group))
    admin.site.unregister(Group)
admin.site.register(Group, _with_security_role(_current))
